import SpoolCore
import Synchronization

/// What the worker loop and a run's task share: requests flow in (stop, shutdown, lost lease),
/// and the run reports whether it is paused. Everything else about a run stays inside its task.
final class RunContext: Sendable {
    let run: OwnedRun
    private let state: Mutex<State>

    struct State {
        var lost = false
        var shutdown = false
        var eventLogFailed = false
        var ending = false
        var lastHeartbeatEvent: Double
    }

    init(run: OwnedRun) {
        self.run = run
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
    var isLost: Bool { state.withLock { $0.lost } }
    func markLost() { state.withLock { $0.lost = true } }

    /// The worker is shutting down and the grace period is over: end the step and requeue the run.
    var isShuttingDown: Bool { state.withLock { $0.shutdown } }
    func requestShutdown() { state.withLock { $0.shutdown = true } }

    /// The run's task is finishing or requeueing it: its lease is about to become a token.
    var isEnding: Bool { state.withLock { $0.ending } }
    func markEnding() { state.withLock { $0.ending = true } }

    var eventLogFailed: Bool { state.withLock { $0.eventLogFailed } }
    func markEventLogFailed() { state.withLock { $0.eventLogFailed = true } }
}
