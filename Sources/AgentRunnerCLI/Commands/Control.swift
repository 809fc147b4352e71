import ArgumentParser
import SpoolCore

/// pause, resume, stop and retry go through `Spooler.control`, the same code the HTTP API calls.
struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pause a running run (its step's process group gets SIGSTOP and its cgroup is frozen).")
    @OptionGroup var spool: SpoolOption
    @Argument(help: "A run id (or a unique prefix).") var target: String

    func run() throws { try perform(.pause, target, spool) }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resume a paused run (SIGCONT).")
    @OptionGroup var spool: SpoolOption
    @Argument(help: "A run id (or a unique prefix).") var target: String

    func run() throws { try perform(.resume, target, spool) }
}

struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop a run: a running one gets SIGTERM (then SIGKILL) and ends as stopped; a queued one goes straight to done/ as stopped.")
    @OptionGroup var spool: SpoolOption
    @Argument(help: "A run id (or a unique prefix), or the file name of a queued job.") var target: String

    func run() throws { try perform(.stop, target, spool) }
}

struct Retry: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue a finished run's job again as a new run linked to the old one; prints the new run id.")
    @OptionGroup var spool: SpoolOption
    @Argument(help: "A finished run's id (or a unique prefix).") var target: String

    func run() throws { try perform(.retry, target, spool) }
}

func perform(_ action: ControlAction, _ target: String, _ option: SpoolOption) throws {
    let (s, spooler) = try option.spooler()
    switch try spooler.control(action, RunIndex(spool: s).resolve(target)) {
    case .requested(let id): print("\(action == .resume ? "resume" : action.rawValue) requested for \(id)")
    case .stoppedQueued(let id): print("stopped \(id)")
    case .retried(let id): print(id)
    }
}
