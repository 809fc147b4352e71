import Foundation
import Testing
import TestSupport

extension Integration {
    @Suite struct Lease {
        static let config = TestSpool.config(lease: "1s", grace: "200ms", shutdownGrace: "500ms", killGrace: "500ms")


        @Test func staleLeaseIsTakenOverAndRequeued() throws {
            let s = try TestSpool(config: Lease.config)
            let (a, ledger) = try s.startTwoPhaseJob("slow.yaml", firstSleep: 60)
            let orphan = try #require(s.twoPhasePid)
            a.kill(SIGKILL)
            #expect(a.waitForExit(timeout: 10))
            // The step dies with its worker (its supervisor's parent-death signal), before any reaper runs;
            // the reaper's kill of the recorded group is the fallback. Either way it never writes `first`.
            #expect(s.wait(timeout: 5) { kill(orphan, 0) != 0 || (try? String(contentsOfFile: "/proc/\(orphan)/stat", encoding: .utf8))?.contains(") Z") == true },
                    "orphaned step \(orphan) still running")
            #expect(try s.drain() == 0)
            #expect(try String(contentsOfFile: ledger, encoding: .utf8) == "second\n")
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "succeeded")
            let requeued = try #require(ev.first { $0["type"] as? String == "requeued" })
            #expect(requeued["reason"] as? String == "lease-expired")
            #expect(requeued["next_attempt"] as? Int == 2)
            #expect(ev.filter { $0["type"] as? String == "claimed" }.map { $0["attempt"] as? Int } == [1, 2])
            #expect(FileManager.default.fileExists(atPath: "\(s.done)/\(run).artifacts/attempt-2"))
            s.expectCurEmpty()
        }

        @Test func exhaustedAttemptsEndAsFailedWithTheReason() throws {
            let s = try TestSpool(config: Lease.config)
            let (a, _) = try s.startTwoPhaseJob("once.yaml", extra: "max_attempts: 1\n")
            a.kill(SIGKILL)
            #expect(a.waitForExit(timeout: 10))
            #expect(try s.drain() == 0)
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "failed")
            let reason = ev.last?["reason"] as? String ?? ""
            #expect(reason.contains("lease expired"), "\(reason)")
            #expect(!ev.contains { $0["type"] as? String == "requeued" })
        }

        /// A worker stopped (SIGSTOP) past its lease loses the run to another worker; when it continues it
        /// must notice and write nothing, neither events nor files in done/.
        @Test func stoppedWorkerThatContinuesDoesNotTouchTheRun() throws {
            let s = try TestSpool(config: Lease.config)
            let (a, _) = try s.startTwoPhaseJob("orphan.yaml")
            a.kill(SIGSTOP)
            #expect(try s.drain() == 0)
            let run = try #require(s.runIDs(in: s.done).first)
            let eventsPath = "\(s.done)/\(run).events.jsonl"
            let before = try Data(contentsOf: URL(fileURLWithPath: eventsPath))
            let doneBefore = s.names(s.done)
            a.kill(SIGCONT)
            // Let the orphan's step end (it sleeps 3 s) and its worker act on that.
            #expect(s.wait(timeout: 15) { a.logText.contains("lost the lease") })
            Thread.sleep(forTimeInterval: 0.5)
            let after = try Data(contentsOf: URL(fileURLWithPath: eventsPath))
            #expect(before == after, "the orphan wrote to the finished run's events")
            #expect(s.names(s.done) == doneBefore)
            s.expectCurEmpty()
            a.kill(SIGTERM)
            #expect(a.waitForExit(timeout: 15))
            try s.checkFinished(run, status: "succeeded")
        }
    }
}
