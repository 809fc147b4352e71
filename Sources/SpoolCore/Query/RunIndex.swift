/// Reads runs back from the spool for the CLI. The spool is the only state: this type caches nothing.
public struct RunIndex: Sendable {
    public let spool: Spool
    public init(spool: Spool) { self.spool = spool }

    /// Every run in the given states, newest first (queued files without an id last within `queued`).
    public func list(states: [RunState] = RunState.allCases) -> [RunSummary] {
        var out: [RunSummary] = []
        for state in states {
            guard let entries = try? Sys.listDirectory(spool.folder(state)) else { continue }
            var runs: [RunSummary] = []
            for entry in entries where JobName.isJob(entry.name) {
                if let run = JobName.runID(entry.name) {
                    runs.append(summary(run, state: state))
                } else if state == .queued {
                    runs.append(RunSummary(id: nil, name: FilePath(bytes: entry.name).display, state: .queued))
                }
            }
            runs.sort { ($0.id ?? "") > ($1.id ?? "") }
            out += runs
        }
        return out
    }

    public func summary(_ run: RunID, state: RunState) -> RunSummary {
        let history = eventsPath(run).map(RunHistory.read) ?? RunHistory()
        var s = RunSummary(id: run.rawValue, name: "\(run).yaml", state: state, history: history)
        if state == .running, (try? Sys.lstat(spool.controlFile(run, .pause))) != nil { s.paused = true }
        return s
    }

    /// Where a run's job file is now.
    public func state(of run: RunID) -> RunState? { spool.state(of: run) }

    /// The run's events file, wherever it is now.
    public func eventsPath(_ run: RunID) -> FilePath? { spool.eventsPath(of: run) }

    /// A run named on the command line: a full id, a unique id prefix, or the file name of a job in `new/`.
    public enum Reference: Sendable, Equatable {
        case run(RunID, RunState)
        /// A job file in `new/` that has no id yet.
        case queuedFile([UInt8])
    }

    public func resolve(_ text: String) throws(SpoolError) -> Reference {
        if let run = RunID(text) {
            if let state = state(of: run) { return .run(run, state) }
            throw .runNotFound(text)
        }
        let bytes = Array(text.utf8)
        if JobName.isJob(bytes), (try? Sys.lstat(spool.new.appending(bytes: bytes))) != nil {
            if let run = JobName.runID(bytes) { return .run(run, .queued) }
            return .queuedFile(bytes)
        }
        var matches: [(RunID, RunState)] = []
        for state in RunState.allCases {
            for entry in (try? Sys.listDirectory(spool.folder(state))) ?? [] {
                guard let run = JobName.runID(entry.name), run.rawValue.hasPrefix(text) else { continue }
                matches.append((run, state))
            }
        }
        if matches.count == 1 { return .run(matches[0].0, matches[0].1) }
        if matches.count > 1 { throw .ambiguous(text, matches.map(\.0.rawValue)) }
        throw .runNotFound(text)
    }
}
