/// A file name in a spool folder that belongs to a run: `RUN.SUFFIX` (`RUN.yaml`, `RUN.events.jsonl`,
/// `RUN.artifacts`, `RUN.lease`, `RUN.finishing.ACTOR`, `RUN.pause`…). The one parser of such names.
public struct RunFileName: Sendable, Equatable {
    public let run: RunID
    /// Everything after the first dot: `yaml`, `events.jsonl`, `finishing.ACTOR`…
    public let suffix: String

    public init?(_ name: [UInt8]) {
        guard let dot = name.firstIndex(of: 0x2E), let run = RunID(bytes: Array(name[..<dot])) else { return nil }
        self.run = run
        suffix = String(decoding: name[(dot + 1)...], as: UTF8.self)
    }

    /// `lease`, `finishing.ACTOR`, `requeueing.ACTOR`, `parking.ACTOR` (in `cur/`) or `releasing.ACTOR` (in
    /// `wait/`): a claim or a move in progress (or interrupted, until recovery finds it stale).
    public var isTransitionLeftover: Bool {
        suffix == "lease" || suffix.hasPrefix("releasing.") || TokenKind.allCases.contains { suffix.hasPrefix($0.rawValue + ".") }
    }
}

extension Spool {
    /// Where to look for a run's files, in order. cur/ first: a run leaves it companions first and job file
    /// last, so a run seen in cur/ is still there; then wait/ (a parked run goes from cur/ to wait/ and
    /// from there to new/), then done/, where runs stay; then new/.
    public static let lookupOrder: [RunState] = [.running, .waiting, .done, .queued]

    /// The first of `make(state)` that exists, in `lookupOrder`: the one run locator.
    public func locate(_ make: (RunState) -> FilePath) -> (path: FilePath, state: RunState)? {
        for state in Spool.lookupOrder {
            let p = make(state)
            if (try? Sys.lstat(p)) != nil { return (p, state) }
        }
        return nil
    }

    /// The folder that holds the run's job file now.
    public func state(of run: RunID) -> RunState? { locate { jobFile(run, in: $0) }?.state }

    /// The run's events file, wherever it is now.
    public func eventsPath(of run: RunID) -> FilePath? { locate { eventsFile(run, in: $0) }?.path }
}
