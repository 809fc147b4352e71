import ArgumentParser
import Foundation
import SpoolCore
#if canImport(Glibc)
import Glibc
#endif

struct Tail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a run's events (JSON Lines); with -f, keep following until the run finishes.",
        discussion: "Following survives the run's moves from new/ to cur/ to done/: the open file is the same file throughout.")

    @OptionGroup var spool: SpoolOption
    @Argument(help: "A run id (or a unique prefix).")
    var target: String
    @Flag(name: .shortAndLong, help: "Follow new events until a `finished` event.")
    var follow = false
    @Option(help: "Only events with a seq greater than this.")
    var after: Int = 0

    func run() async throws {
        let s = try spool.open()
        let index = RunIndex(spool: s)
        guard case .run(let id, _) = try index.resolve(target) else {
            throw CLIError("\(target) is queued but not claimed yet, so it has no events; submit jobs with `agent-runner submit` to get a run id at once")
        }
        guard let path = index.eventsPath(id) else { throw CLIError("run \(id) has no events file yet") }
        let fd = try Sys.open(path, O_RDONLY)
        defer { Sys.close(fd) }
        var pending: [UInt8] = []
        var finished = false
        var lastSeq = 0
        while true {
            let chunk = try Sys.read(fd, limit: 1 << 20, path: path)
            if !chunk.isEmpty {
                pending += chunk
                while let nl = pending.firstIndex(of: 0x0A) {
                    let line = Array(pending[..<nl])
                    pending.removeSubrange(...nl)
                    guard let json = JSON.parse(line) else {
                        // A write cut short by a full disk leaves a torn line; the events after it are whole.
                        if !line.isEmpty {
                            FileHandle.standardError.write(Data("agent-runner: skipping a line of \(path.display) that is not a JSON event (\(line.count) bytes after seq \(lastSeq)); a write was cut short, for example by a full disk\n".utf8))
                        }
                        continue
                    }
                    let event = Event(json: json)
                    lastSeq = max(lastSeq, event.seq)
                    if event.seq > after {
                        FileHandle.standardOutput.write(Data(line + [0x0A]))
                    }
                    switch event.eventType {
                    case .finished?: finished = true
                    case .claimed?, .requeued?, .retried?: finished = false
                    default: break
                    }
                }
                continue
            }
            if !follow || finished { break }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
