import Foundation
import SpoolCore

/// The worker loop's own bookkeeping. Only `Worker.run()` touches it.
struct LoopState {
    /// Runs doing their work: at most `concurrency`.
    var running: [ClaimKey: RunContext] = [:]
    /// Runs whose work is over and that are being finished (the `finished` event, its fsync, the moves to
    /// done/). They do not count against `concurrency`, so one run's fsync does not hold up the next claim,
    /// and concurrent fsyncs share the file system's journal commits. Bounded by `maxFinishing`.
    var finishing: [ClaimKey: RunContext] = [:]
    let maxFinishing: Int
    var ignored = Set<[UInt8]>()
    /// Names waiting for a claim attempt: highest priority first, then by arrival second, then in an order
    /// private to this process, so that workers racing on one spool mostly reach for different files.
    private var heap: [Candidate] = []
    private(set) var queued = Set<[UInt8]>()
    var unsettled = 0
    /// A rescan is scheduled for when the unsettled files are old enough.
    var settleRecheckPending = false
    var scannedSinceIdle = false
    var shuttingDown = false
    var hadErrors = false
    /// Whether the spool folder is still at its path; no claims unless `.present`.
    var spoolPresence: SpoolPresence = .present
    /// The serial number of the next claim (see `ClaimKey`).
    var nextClaimSerial: UInt64 = 1
    let startedAt = Date().timeIntervalSince1970

    init(options: WorkerOptions) {
        maxFinishing = max(16, 4 * options.config.concurrency)
    }

    struct Candidate {
        var name: [UInt8]
        var priority: Int
        /// Whole seconds of the file's mtime (or of when inotify reported it).
        var arrival: Int64
        /// `Hasher` is seeded per process: each worker gets its own order among equals.
        var spread: Int
        func before(_ o: Candidate) -> Bool {
            if priority != o.priority { return priority > o.priority }
            if arrival != o.arrival { return arrival < o.arrival }
            return spread < o.spread
        }
    }

    var isHeapEmpty: Bool { heap.isEmpty }

    /// Nothing waiting and nothing that a later poll will find settled.
    var isIdle: Bool { heap.isEmpty && unsettled == 0 && scannedSinceIdle }

    mutating func enqueue(_ name: [UInt8], priority: Int, arrival: Double = Date().timeIntervalSince1970) {
        guard !ignored.contains(name), JobName.isJob(name), queued.insert(name).inserted else { return }
        var h = Hasher()
        h.combine(name)
        heap.append(Candidate(name: name, priority: priority, arrival: Int64(arrival.rounded(.down)), spread: h.finalize()))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].before(heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func nextCandidate() -> [UInt8]? {
        guard !heap.isEmpty else { return nil }
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var best = i
                if l < heap.count && heap[l].before(heap[best]) { best = l }
                if r < heap.count && heap[r].before(heap[best]) { best = r }
                if best == i { break }
                heap.swapAt(i, best)
                i = best
            }
        }
        queued.remove(top.name)
        return top.name
    }
}
