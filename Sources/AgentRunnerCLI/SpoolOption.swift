import ArgumentParser
import Foundation
import JobSpec
import SpoolCore
import Worker

/// `--spool DIR`, shared by every command that works on a spool.
struct SpoolOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The spool folder.", discussion: "Defaults to $AGENT_RUNNER_SPOOL, then the current folder.", valueName: "dir"))
    var spool: String?

    /// Always absolute: events, worktrees and step environments name the spool, and they must mean the
    /// same folder from any current directory.
    var path: String {
        let given = spool ?? ProcessInfo.processInfo.environment["AGENT_RUNNER_SPOOL"] ?? FileManager.default.currentDirectoryPath
        let absolute = given.hasPrefix("/") ? given : FileManager.default.currentDirectoryPath + "/" + given
        return URL(fileURLWithPath: absolute).standardizedFileURL.path
    }

    /// The spool, checked to be one.
    func open() throws -> Spool {
        let s = Spool(root: path)
        try s.check()
        return s
    }

    func spooler() throws -> (Spool, Spooler) {
        let s = try open()
        let config = try s.loadConfig()
        // `recover` and the controls take over stale runs too: they end the dead owner's step like a worker.
        var spooler = Spooler(spool: s, config: config)
        spooler.onTakeover = OrphanedSteps.killer(host: spooler.actor.host)
        return (s, spooler)
    }
}

/// Errors a command prints as `agent-runner: …` and exits non-zero on.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

func readInput(_ file: String) throws -> (bytes: [UInt8], name: String) {
    if file == "-" {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        return (Array(data), "stdin.yaml")
    }
    let path = FilePath(file)
    do {
        let st = try Sys.stat(path)
        guard st.isRegular else { throw CLIError("\(file) is not a regular file") }
        return (try Sys.readFile(path, limit: JobLoader.maxFileSize + 1), String(decoding: path.lastComponent, as: UTF8.self))
    } catch let e as SysError {
        throw CLIError("cannot read \(file): \(e)")
    }
}
