import Foundation
import Logging
import SpoolCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Renews this worker's leases on a thread of its own, sleeping in `poll(2)` with a relative timeout
/// measured on CLOCK_MONOTONIC, and posts the loop's `tick` after each round. The lease is the one timer
/// whose lateness loses work, so it depends neither on the worker loop being free nor on Swift's timers:
/// those arm absolute deadlines, which a faked or stepped wall clock (libfaketime shifts them by its
/// offset) can push seconds or hours late, and then the worker's own recovery reaps its runs.
final class LeaseKeeper: Sendable {
    private let spooler: Spooler
    private let interval: Double
    private let logger: Logger
    /// Keyed by the context object, so the keeper needs no idea of how the loop names its runs.
    private let runs = Mutex<[ObjectIdentifier: RunContext]>([:])
    private let stopped = Mutex(false)
    /// A pipe that ends the sleep at once on `stop()`; -1 when none could be made (then `stop` takes a round).
    private let wakeRead: Int32
    private let wakeWrite: Int32

    init(spooler: Spooler, interval: Double, logger: Logger) {
        self.spooler = spooler
        self.interval = max(0.05, interval)
        self.logger = logger
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                _ = fcntl(fd, F_SETFL, O_NONBLOCK)
            }
        } else {
            fds = [-1, -1]
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
    }

    deinit {
        if wakeRead >= 0 { Glibc.close(wakeRead) }
        if wakeWrite >= 0 { Glibc.close(wakeWrite) }
    }

    func add(_ ctx: RunContext) { runs.withLock { $0[ObjectIdentifier(ctx)] = ctx } }
    func remove(_ ctx: RunContext) { runs.withLock { $0[ObjectIdentifier(ctx)] = nil } }

    /// The lease inodes being renewed: this worker's own recovery pass must leave them alone.
    var heldLeases: Set<UInt64> { runs.withLock { Set($0.values.map(\.run.leaseInode)) } }

    /// Starts the thread: a round of renewals, then `tick`, every `interval` seconds.
    func start(tick: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            var next = monotonicNow() + interval
            while !stopped.withLock({ $0 }) {
                let waitMs = Int32(max(0, (next - monotonicNow()) * 1000).rounded(.up))
                var fd = pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
                _ = Glibc.poll(&fd, 1, waitMs)
                if stopped.withLock({ $0 }) { break }
                guard monotonicNow() >= next else { continue }
                renewAll()
                tick()
                next = monotonicNow() + interval
            }
        }
        thread.name = "lease-keeper"
        thread.start()
    }

    func stop() {
        stopped.withLock { $0 = true }
        var b: UInt8 = 1
        if wakeWrite >= 0 { _ = Glibc.write(wakeWrite, &b, 1) }
    }

    /// One `futimens` per run, then the ownership check. Only a lease gone from a spool that is still there
    /// is lost; while the spool folder is away the loop reports that, and the runs carry on.
    func renewAll() {
        for ctx in runs.withLock({ Array($0.values) }) where !ctx.isLost {
            guard spooler.renew(ctx.run) == .lost else { continue }
            // The run's own task is finishing or requeueing it right now: the lease became its token.
            if ctx.isEnding { continue }
            logger.error("lost the lease on \(ctx.run.id): another worker took it over; stopping it here without writing to done/",
                         metadata: ["run": "\(ctx.run.id)"])
            ctx.markLost()
        }
    }
}
