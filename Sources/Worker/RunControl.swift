import SpoolCore
import Synchronization

/// One run's stop, pause and resume, in one place: the control files (`control/RUN.stop`, `control/RUN.pause`)
/// and the worker's own signals (lost lease, shutdown, event log failed). Steps, the agent loop and the
/// sequencer await its changes rather than polling. The files are read afresh whenever someone starts
/// waiting, and by `watch()` every 100 ms while anyone waits: another host may write them over NFS, where
/// inotify sees nothing.
final class RunControl: Sendable {
    enum State: Sendable, Equatable {
        case running
        /// `control/RUN.pause` exists.
        case paused
        case stopping(StopReason)
    }

    /// Why a run must end now, strongest first: when several hold, `state` names the first.
    enum StopReason: Sendable, Equatable {
        /// Another worker took the run over: stop its processes and write nothing more.
        case lost
        /// Its events cannot be written: it is left in cur/ until its lease goes stale.
        case logFailed
        /// The worker is shutting down and the grace period is over: the run is requeued.
        case shutdown
        /// `control/RUN.stop` exists: the run ends `stopped`.
        case requested
    }

    /// The raw signals behind `state`.
    struct Signals: Sendable {
        var lost = false
        var logFailed = false
        var shutdown = false
        var stopFile = false
        var pauseFile = false

        var state: State {
            if lost { return .stopping(.lost) }
            if logFailed { return .stopping(.logFailed) }
            if shutdown { return .stopping(.shutdown) }
            if stopFile { return .stopping(.requested) }
            return pauseFile ? .paused : .running
        }
    }

    /// What a wait between steps (or turns) ended with.
    enum Gate: Sendable, Equatable {
        case proceed
        case stop(StopReason)
    }

    private struct Guarded: Sendable {
        var signals = Signals()
        var subscribers: [UInt64: @Sendable (State) -> Void] = [:]
        var nextSubscriber: UInt64 = 0
        /// Reads of the control files are numbered so that a slow read never overwrites a newer one.
        var nextRead: UInt64 = 0
        var appliedRead: UInt64 = 0
        /// `watch()` suspended until the first stream opens, so a run nobody waits on arms no timer.
        var idleWatcher: CheckedContinuation<Void, Never>?
        var watcherCancelled = false
    }

    private let guarded = Mutex(Guarded())
    private let readFiles: @Sendable () -> (pause: Bool, stop: Bool)
    let pollInterval: Duration

    /// `readFiles` says which control files exist (`Spooler.controls`: two `lstat` calls).
    init(pollInterval: Duration = .milliseconds(100), readFiles: @escaping @Sendable () -> (pause: Bool, stop: Bool)) {
        self.pollInterval = pollInterval
        self.readFiles = readFiles
    }

    convenience init(spooler: Spooler, run: RunID) {
        self.init { spooler.controls(run) }
    }

    // MARK: reading

    /// The signals as last read; the control files may have changed since (see `refresh()`).
    var signals: Signals { guarded.withLock { $0.signals } }
    var state: State { signals.state }
    /// How many streams from `changes` are open: `watch()` reads the files only while there are any.
    var waiters: Int { guarded.withLock { $0.subscribers.count } }

    /// Reads the control files now and tells the waiters if the state changed.
    @discardableResult
    func refresh() -> Signals {
        let ticket = guarded.withLock { g -> UInt64 in
            g.nextRead += 1
            return g.nextRead
        }
        let files = readFiles()
        return update { s, g in
            guard ticket > g.appliedRead else { return }
            g.appliedRead = ticket
            s.pauseFile = files.pause
            s.stopFile = files.stop
        }
    }

    // MARK: the worker's signals

    func markLost() { update { s, _ in s.lost = true } }
    func markLogFailed() { update { s, _ in s.logFailed = true } }
    func requestShutdown() { update { s, _ in s.shutdown = true } }

    // MARK: waiting

    /// The current state (the control files read afresh), then every change of `transform(state)`,
    /// until the waiting task is cancelled or drops the stream. Only the newest change is kept.
    func changes<T: Sendable & Equatable>(_ transform: @escaping @Sendable (State) -> T) -> AsyncStream<T> {
        let (stream, continuation) = AsyncStream.makeStream(of: T.self, bufferingPolicy: .bufferingNewest(1))
        let id = guarded.withLock { g -> UInt64 in
            g.nextSubscriber += 1
            return g.nextSubscriber
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.guarded.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        let last = Mutex<T?>(nil)
        let deliver: @Sendable (State) -> Void = { state in
            let value = transform(state)
            let changed = last.withLock { previous in
                guard previous != value else { return false }
                previous = value
                return true
            }
            if changed { continuation.yield(value) }
        }
        let ticket = guarded.withLock { g -> UInt64 in
            g.nextRead += 1
            return g.nextRead
        }
        let files = readFiles()
        var idle: CheckedContinuation<Void, Never>?
        update { s, g in
            if ticket > g.appliedRead {
                g.appliedRead = ticket
                s.pauseFile = files.pause
                s.stopFile = files.stop
            }
            g.subscribers[id] = deliver
            idle = g.idleWatcher
            g.idleWatcher = nil
            deliver(s.state)
        }
        idle?.resume()
        return stream
    }

    func changes() -> AsyncStream<State> { changes { $0 } }

    /// Holds while the run is paused: `onPause` when the hold starts and `onResume` when it ends log it
    /// (false from either means the run can no longer be logged, and the wait ends with the reason).
    func waitWhilePaused(onPause: () -> Bool, onResume: () -> Bool) async -> Gate {
        var paused = false
        for await state in changes() {
            switch state {
            case .stopping(let reason):
                return .stop(reason)
            case .paused:
                if !paused {
                    guard onPause() else { return gone() }
                    paused = true
                }
            case .running:
                if paused { guard onResume() else { return gone() } }
                return .proceed
            }
        }
        // Only a cancelled task gets here.
        if case .stopping(let reason) = state { return .stop(reason) }
        return .stop(.shutdown)
    }

    /// The first state that `matches`, or nil once `seconds` have passed.
    func first(within seconds: Double, where matches: @escaping @Sendable (State) -> Bool) async -> State? {
        await withTaskGroup(of: State?.self) { group in
            group.addTask {
                for await state in self.changes() where matches(state) { return state }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(max(0, seconds)))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Reads the control files every `pollInterval` while anyone waits, until cancelled. One per run.
    func watch() async {
        while !Task.isCancelled {
            await untilSomeoneWaits()
            if Task.isCancelled { break }
            try? await Task.sleep(for: pollInterval)
            if Task.isCancelled { break }
            if waiters > 0 { refresh() }
        }
    }

    /// Suspends, without a timer, until a stream from `changes` is open or the task is cancelled: most runs
    /// (no steps, or steps nobody pauses) never arm one.
    private func untilSomeoneWaits() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = guarded.withLock { g -> Bool in
                    if !g.subscribers.isEmpty || g.watcherCancelled { return true }
                    g.idleWatcher = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let idle = guarded.withLock { g -> CheckedContinuation<Void, Never>? in
                g.watcherCancelled = true
                defer { g.idleWatcher = nil }
                return g.idleWatcher
            }
            idle?.resume()
        }
    }

    // MARK: private

    /// A failed write marks the run lost or unloggable before it returns false.
    private func gone() -> Gate {
        if case .stopping(let reason) = state { return .stop(reason) }
        return .stop(.logFailed)
    }

    /// Changes the signals and, under the same lock, hands a changed state to every waiter, so that
    /// waiters see the changes in the order they happened.
    @discardableResult
    private func update(_ change: (inout Signals, inout Guarded) -> Void) -> Signals {
        guarded.withLock { g in
            let before = g.signals.state
            var s = g.signals
            change(&s, &g)
            g.signals = s
            if s.state != before { for deliver in g.subscribers.values { deliver(s.state) } }
            return s
        }
    }
}
