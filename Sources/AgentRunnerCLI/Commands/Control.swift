import ArgumentParser
import SpoolCore

/// pause, resume and stop write or remove control files; the run's worker acts within a fraction of a second.
struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pause a running run (its step's process group gets SIGSTOP).")
    @OptionGroup var spool: SpoolOption
    @Argument(help: "A run id (or a unique prefix).") var target: String

    func run() throws {
        let (s, spooler) = try spool.spooler()
        let id = try runningRun(target, s, verb: "paused")
        try spooler.setControl(.pause, id, on: true)
        print("pause requested for \(id)")
    }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resume a paused run (SIGCONT).")
    @OptionGroup var spool: SpoolOption
    @Argument(help: "A run id (or a unique prefix).") var target: String

    func run() throws {
        let (s, spooler) = try spool.spooler()
        let id = try runningRun(target, s, verb: "resumed")
        try spooler.setControl(.pause, id, on: false)
        print("resume requested for \(id)")
    }
}

struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop a run: a running one gets SIGTERM (then SIGKILL) and ends as stopped; a queued one goes straight to done/ as stopped.")
    @OptionGroup var spool: SpoolOption
    @Argument(help: "A run id (or a unique prefix), or the file name of a queued job.") var target: String

    func run() throws {
        let (s, spooler) = try spool.spooler()
        switch try RunIndex(spool: s).resolve(target) {
        case .run(let id, .running):
            try spooler.setControl(.stop, id, on: true)
            print("stop requested for \(id)")
        case .run(let id, .done):
            throw SpoolError.wrongState(run: id.rawValue, state: .done, wanted: "it has already finished")
        case .run(let id, .queued):
            try stopQueued(Array("\(id).yaml".utf8), spooler)
        case .queuedFile(let name):
            try stopQueued(name, spooler)
        }
    }

    /// Claims the queued job like a worker would, so a worker cannot start it meanwhile, and finishes it as stopped.
    func stopQueued(_ name: [UInt8], _ spooler: Spooler) throws {
        guard let owned = try spooler.claim(name: name) else {
            throw CLIError("\(FilePath(bytes: name).display) was claimed by a worker just now; run `agent-runner stop` again with its run id")
        }
        _ = try spooler.finish(owned, status: .stopped, fields: [("reason", .string("stopped while queued"))])
        print("stopped \(owned.id)")
    }
}

struct Retry: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue a finished run's job again as a new run linked to the old one; prints the new run id.")
    @OptionGroup var spool: SpoolOption
    @Argument(help: "A finished run's id (or a unique prefix).") var target: String

    func run() throws {
        let (s, spooler) = try spool.spooler()
        guard case .run(let id, let state) = try RunIndex(spool: s).resolve(target) else {
            throw CLIError("\(target) has not run yet, so there is nothing to retry")
        }
        guard state == .done else { throw SpoolError.wrongState(run: id.rawValue, state: state, wanted: "only finished runs can be retried") }
        print(try spooler.retry(id))
    }
}

func runningRun(_ text: String, _ s: Spool, verb: String) throws -> RunID {
    switch try RunIndex(spool: s).resolve(text) {
    case .run(let id, .running): return id
    case .run(let id, let state):
        throw SpoolError.wrongState(run: id.rawValue, state: state, wanted: "only running runs can be \(verb)")
    case .queuedFile(let name):
        throw CLIError("\(FilePath(bytes: name).display) is queued, not running; only running runs can be \(verb)")
    }
}
