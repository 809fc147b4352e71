import Dispatch

/// Runs blocking file-system work (fsync above all) on a Dispatch thread, off Swift's cooperative pool.
/// The pool has one thread per core; a run task stuck in `fsync` there would hold up the worker loop's
/// claims, which is what drop-to-claim latency measures.
enum Blocking {
    static let queue = DispatchQueue(label: "agent-runner.blocking", attributes: .concurrent)

    static func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async -> Result<T, E> {
        await withCheckedContinuation { continuation in
            queue.async {
                do throws(E) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
    }
}
