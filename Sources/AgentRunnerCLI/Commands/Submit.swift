import ArgumentParser
import JobSpec
import SpoolCore

struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a job file and queue it; prints the run id.",
        discussion: "The job is staged in tmp/ and renamed into new/, so no worker ever sees half of it.")

    @OptionGroup var spool: SpoolOption
    @Argument(help: "The job file, or - for standard input.")
    var file: String
    @Option(help: "The display name of the run (default: the file's name).")
    var name: String?

    func run() throws {
        let s = try spool.open()
        let config = try s.loadConfig()
        let spooler = Spooler(spool: s, config: config)
        let input = try readInput(file)
        let display = name ?? input.name
        let roots = s.workspaceRoots(config)
        do { _ = try JobLoader.load(input.bytes, file: file == "-" ? "<stdin>" : file, workspaceRoots: roots) } catch {
            throw CLIError("\(error)")
        }
        let run = try spooler.submit(input.bytes, name: Array(display.utf8))
        print(run)
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a job file without queueing it; exits 1 with FILE:LINE:COLUMN on error.",
        discussion: "With a spool (--spool, $AGENT_RUNNER_SPOOL, or the current folder when it is one), workspaces are also checked against its config.yaml's workspace_roots.")

    @Option(name: .long, help: ArgumentHelp("The spool whose config.yaml applies.", valueName: "dir"))
    var spool: String?
    @Argument(help: "Job files to check, or - for standard input.")
    var files: [String]
    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        var failed = 0
        var results: [ValidationResult] = []
        let roots = try workspaceRoots()
        for file in files {
            let input = try readInput(file)
            do {
                let job = try JobLoader.load(input.bytes, file: file == "-" ? "<stdin>" : file, workspaceRoots: roots)
                results.append(ValidationResult(file: file, ok: true, steps: job.steps.count))
                if !json { print("\(file): ok (\(job.steps.count) step\(job.steps.count == 1 ? "" : "s"))") }
            } catch {
                failed += 1
                results.append(ValidationResult(file: file, ok: false, error: error.description, line: error.line,
                                                column: error.column, reason: error.reason.rawValue))
                if !json { printError(error.description) }
            }
        }
        if json { try printJSON(results) }
        if failed > 0 { throw ExitCode(1) }
    }

    /// The roots of the spool named by --spool (which must be one), else of $AGENT_RUNNER_SPOOL or the current
    /// folder when that is a spool; nil without a spool or without `workspace_roots:`.
    func workspaceRoots() throws -> WorkspaceRoots? {
        let environment = ProcessInfo.processInfo.environment
        let s = Spool(root: spool ?? environment["AGENT_RUNNER_SPOOL"] ?? FileManager.default.currentDirectoryPath)
        if spool != nil { try s.check() } else if (try? s.check()) == nil { return nil }
        return s.workspaceRoots(try s.loadConfig())
    }

    struct ValidationResult: Encodable {
        var file: String
        var ok: Bool
        var steps: Int?
        var error: String?
        var line: Int?
        var column: Int?
        var reason: String?
    }
}

func printError(_ message: String) {
    var stderr = StandardError()
    print(message, to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}

import Foundation
