import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Worker

/// `BlockingThreads`: no piece of work ever waits for another, idle threads are used again, and they end
/// once idle for `keepIdle`.
@Suite(.ownThread) struct BlockingThreadsTests {
    /// Pieces that each block until all of them have started: they finish only if each one got a thread
    /// of its own, also when idle threads from the round before are about.
    @Test func everyPieceRunsAtOnceWithTheOthers() {
        let threads = BlockingThreads(keepIdle: 30)
        for round in 1...3 {
            let count = 8
            let started = Mutex(0)
            let allStarted = DispatchSemaphore(value: 0)
            let finished = DispatchGroup()
            for _ in 0..<count {
                finished.enter()
                threads.start {
                    if started.withLock({ $0 += 1; return $0 }) == count { allStarted.signal() }
                    // Stands for an fsync: it holds its thread until every piece is running.
                    while started.withLock({ $0 }) < count { usleep(1000) }
                    finished.leave()
                }
            }
            #expect(allStarted.wait(timeout: .now() + 20) == .success, "round \(round): \(started.withLock { $0 }) of \(count) started")
            #expect(finished.wait(timeout: .now() + 20) == .success, "round \(round)")
        }
    }

    /// A thread done with its work waits for the next piece and takes it: no new thread.
    @Test func idleThreadsAreUsedAgain() {
        let threads = BlockingThreads(keepIdle: 60)
        for _ in 0..<3 {
            runOne(on: threads)
            // The next piece goes to the idle thread once it waits again.
            let deadline = Date().addingTimeInterval(10)
            while threads.counts.idle == 0 && Date() < deadline { usleep(1000) }
        }
        #expect(threads.counts.made == 1, "one thread did all three")
    }

    /// An idle thread ends after `keepIdle` without work.
    @Test func idleThreadsEnd() {
        let threads = BlockingThreads(keepIdle: 0.2)
        runOne(on: threads)
        let deadline = Date().addingTimeInterval(10)
        while threads.counts.ended == 0 && Date() < deadline { usleep(10_000) }
        #expect(threads.counts == (idle: 0, made: 1, ended: 1), "the idle thread ended")
    }

    func runOne(on threads: BlockingThreads) {
        let done = DispatchSemaphore(value: 0)
        threads.start { done.signal() }
        #expect(done.wait(timeout: .now() + 10) == .success)
    }
}
