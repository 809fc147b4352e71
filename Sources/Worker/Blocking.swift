import Foundation

/// Runs blocking file-system work (fsync above all) on a thread of its own, off Swift's cooperative pool.
/// The pool has one thread per core; a run task stuck in `fsync` there would hold up the worker loop's
/// claims, which is what drop-to-claim latency measures. A Dispatch queue would cap the number of
/// fsyncs in flight at its few threads; with a thread each, concurrent finishes share journal commits.
enum Blocking {
    static func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async -> Result<T, E> {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                do throws(E) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}
