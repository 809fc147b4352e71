import Foundation

/// Runs blocking file-system work (fsync above all) on a thread of its own, off Swift's cooperative pool.
/// The pool has one thread per core; a run task stuck in `fsync` there would hold up the worker loop's
/// claims, which is what drop-to-claim latency measures. A Dispatch queue would cap the number of
/// fsyncs in flight at its few threads; with a thread each, concurrent finishes share journal commits.
enum Blocking {
    static func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async -> Result<T, E> {
        await withCheckedContinuation { continuation in
            BlockingThreads.shared.start {
                do throws(E) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
    }
}

/// The threads `Blocking.run` uses. A piece of work never waits for another: it goes to a thread that
/// is idle, or to a new one. A thread that finishes waits up to `keepIdle` for the next piece, then
/// ends. (Making a thread for every call was about 7% of a claim's CPU time: two calls per run.)
final class BlockingThreads: @unchecked Sendable {
    static let shared = BlockingThreads()
    let keepIdle: TimeInterval
    /// Guards the fields below, and wakes idle threads.
    private let condition = NSCondition()
    private var pending: [@Sendable () -> Void] = []
    /// Threads blocked in `condition.wait`: each can take one pending piece.
    private var waiting = 0
    /// Threads made so far, and those of them that ended.
    private var made = 0, ended = 0

    init(keepIdle: TimeInterval = 10) { self.keepIdle = keepIdle }

    /// Threads waiting for work now, threads made so far, and those that ended.
    var counts: (idle: Int, made: Int, ended: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (waiting, made, ended)
    }

    func start(_ work: @escaping @Sendable () -> Void) {
        condition.lock()
        pending.append(work)
        // Signalled threads stay counted in `waiting` until they take the lock again, so a second piece
        // arriving before the first is taken gets a thread of its own.
        let idle = pending.count <= waiting
        if idle { condition.signal() } else { made += 1 }
        condition.unlock()
        if !idle {
            let thread = Thread { [self] in serve() }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private func serve() {
        condition.lock()
        while true {
            if !pending.isEmpty {
                let work = pending.removeFirst()
                condition.unlock()
                work()
                condition.lock()
                continue
            }
            waiting += 1
            let signalled = condition.wait(until: Date(timeIntervalSinceNow: keepIdle))
            waiting -= 1
            if !signalled && pending.isEmpty { break }
        }
        ended += 1
        condition.unlock()
    }
}
