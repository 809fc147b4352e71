import Foundation
import Synchronization

/// Wakes tasks waiting for a run to change. The catalog's inotify thread signals the runs it saw change;
/// a live event stream waits here instead of polling the file, and still looks on its own after a timeout
/// (another NFS client's writes raise no inotify event).
public final class ChangeSignal: Sendable {
    private struct Waiter {
        let key: String
        let continuation: CheckedContinuation<Void, Never>
        var timer: Task<Void, Never>?
    }

    private struct State {
        var waiters: [UInt64: Waiter] = [:]
        /// How often each key was signalled; a waiter that saw an older count returns at once, so a
        /// signal between a reader's look at the file and its wait is never missed.
        var generations: [String: UInt64] = [:]
    }

    private let state = Mutex(State())
    private let nextID = Atomic<UInt64>(0)

    public init() {}

    /// The current count for `key`: take it before reading, pass it to `wait`.
    public func generation(_ key: String) -> UInt64 { state.withLock { $0.generations[key] ?? 0 } }

    /// Returns when `key` is signalled after `seen`, after `timeout` seconds, or when the task is cancelled.
    public func wait(for key: String, seen: UInt64, timeout: Double) async {
        let id = nextID.add(1, ordering: .relaxed).newValue
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let already = state.withLock { s -> Bool in
                    if (s.generations[key] ?? 0) != seen { return true }
                    s.waiters[id] = Waiter(key: key, continuation: c)
                    return false
                }
                if already { c.resume(); return }
                let timer = Task { [weak self] in
                    try? await Task.sleep(for: .seconds(timeout))
                    if !Task.isCancelled { self?.resume(id) }
                }
                // The waiter may already be gone (signalled or cancelled): then the timer just ends.
                let stillWaiting = state.withLock { s -> Bool in
                    guard s.waiters[id] != nil else { return false }
                    s.waiters[id]?.timer = timer
                    return true
                }
                if !stillWaiting { timer.cancel() }
            }
        } onCancel: {
            resume(id)
        }
    }

    /// Wakes everyone waiting for one of `keys`.
    public func signal(_ keys: Set<String>) {
        guard !keys.isEmpty else { return }
        let woken = state.withLock { s -> [Waiter] in
            for key in keys { s.generations[key, default: 0] &+= 1 }
            let ids = s.waiters.filter { keys.contains($0.value.key) }.map(\.key)
            return ids.compactMap { s.waiters.removeValue(forKey: $0) }
        }
        for waiter in woken {
            waiter.timer?.cancel()
            waiter.continuation.resume()
        }
    }

    private func resume(_ id: UInt64) {
        if let waiter = state.withLock({ $0.waiters.removeValue(forKey: id) }) {
            waiter.timer?.cancel()
            waiter.continuation.resume()
        }
    }
}
