import SpoolCore
import Synchronization

/// What the worker loop and a run's task share: requests flow in (shutdown, lost lease) through the run's
/// `RunControl`, and the run reports when it is ending. Everything else about a run stays inside its task.
final class RunContext: Sendable {
    let run: OwnedRun
    /// Stop, pause and resume for this run: what its steps await.
    let control: RunControl
    /// This claim's identity in this worker. One run id can be claimed again by the same worker while an
    /// earlier attempt's task is still winding down (the worker was stopped past its lease and the run
    /// requeued meanwhile), so the loop keys everything by claim, never by run id.
    let claim: ClaimKey
    private let state: Mutex<State>

    struct State {
        var ending = false
        var lastHeartbeatEvent: Double
        var jobDigest: JobDigest?
    }

    init(run: OwnedRun, claim: ClaimKey, control: RunControl) {
        self.run = run
        self.claim = claim
        self.control = control
        state = Mutex(State(lastHeartbeatEvent: monotonicNow()))
    }

    /// True (and restarts the interval) when a `heartbeat` event is due.
    func heartbeatEventDue(every interval: Double, now: Double) -> Bool {
        state.withLock {
            guard now - $0.lastHeartbeatEvent >= interval else { return false }
            $0.lastHeartbeatEvent = now
            return true
        }
    }

    /// Another worker took the run over: stop its processes and write nothing more.
    var isLost: Bool { control.signals.lost }
    func markLost() { control.markLost() }

    /// The worker is shutting down and the grace period is over: end the step and requeue the run.
    var isShuttingDown: Bool { control.signals.shutdown }
    func requestShutdown() { control.requestShutdown() }

    /// The run's task is finishing or requeueing it: its lease is about to become a token.
    var isEnding: Bool { state.withLock { $0.ending } }
    func markEnding() { state.withLock { $0.ending = true } }

    /// The job file as it was read when the run started; the finish compares the file against it.
    var jobDigest: JobDigest? {
        get { state.withLock { $0.jobDigest } }
        set { state.withLock { $0.jobDigest = newValue } }
    }

    var eventLogFailed: Bool { control.signals.logFailed }
    func markEventLogFailed() { control.markLogFailed() }
}

/// One claim of one run by this worker: the run id, its attempt, and a serial number unique in this process.
struct ClaimKey: Hashable, Sendable, CustomStringConvertible {
    let run: RunID
    let attempt: Int
    let serial: UInt64
    var description: String { "\(run) (attempt \(attempt))" }
}

/// A job file's size and SHA-256, taken when the run read it (`started` records both).
struct JobDigest: Sendable, Equatable {
    let size: Int
    let sha256: String
    init(_ bytes: [UInt8]) {
        size = bytes.count
        sha256 = SHA256.hex(bytes)
    }
}
