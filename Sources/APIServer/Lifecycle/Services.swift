import Foundation
import ServiceLifecycle
import RunCatalog
import SpoolCore
import Synchronization

/// Keeps the run index in step with the spool: inotify as it happens; `new/` and `cur/` listed every
/// `poll_interval`; `done/` (where little changes, and 10,000 runs cost a few ms to check) every 30 s.
/// It blocks in `poll(2)`, so it runs on a thread of its own, which stops within half a second of a
/// graceful shutdown or cancellation.
struct CatalogFollower: Service {
    let catalog: RunCatalog
    let rescanEvery: Double

    func run() async throws {
        let stop = StopFlag()
        let (catalog, rescanEvery) = (self.catalog, self.rescanEvery)
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    Thread.detachNewThread {
                        Self.follow(catalog, rescanEvery: rescanEvery, until: stop)
                        done.resume()
                    }
                }
            } onCancel: { stop.set() }
        } onGracefulShutdown: { stop.set() }
    }

    static func follow(_ catalog: RunCatalog, rescanEvery: Double, until stop: StopFlag) {
        let fullEvery = max(30, rescanEvery)
        var lastPartial = monotonicNow()
        while !stop.isSet {
            catalog.waitForChanges(timeout: min(0.5, rescanEvery))
            catalog.catchUp()
            if catalog.sinceRescan >= fullEvery {
                catalog.rescan()
                lastPartial = monotonicNow()
            } else if monotonicNow() - lastPartial >= rescanEvery {
                catalog.rescan([.queued, .running])
                lastPartial = monotonicNow()
            }
        }
    }
}

/// Probes the configured services (providers, Forgejo, Taiga) every `api.status_interval` for the status page.
struct StatusProber: Service {
    let board: StatusBoard
    let every: Double

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    await board.probeAll()
                    try await Task.sleep(for: .seconds(every))
                }
            }
        } catch is CancellationError {}
    }
}

/// A flag one side sets and a thread polls.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}
