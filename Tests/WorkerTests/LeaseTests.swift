import Foundation
import Testing

extension Integration {
    @Suite struct Lease {
        static let config = "lease: 1s\npoll_interval: 200ms\nsettle: 0s\ngrace: 200ms\nshutdown_grace: 500ms\nkill_grace: 500ms\n"

        /// Runs once, slowly, then finishes fast on any later attempt.
        static func twoPhaseJob(marker: String, ledger: String, extra: String = "") -> String {
            """
            title: lease test
            \(extra)steps:
              - run: if [ -e \(marker) ]; then echo second >> \(ledger); else touch \(marker); sleep 3; echo first >> \(ledger); fi

            """
        }

        @Test func staleLeaseIsTakenOverAndRequeued() throws {
            let s = try TestSpool(config: Lease.config)
            let (ledger, marker) = (s.root + "/../ledger", s.root + "/../marker")
            try s.drop("slow.yaml", Lease.twoPhaseJob(marker: marker, ledger: ledger))
            let a = try s.startWorker()
            #expect(s.wait(timeout: 20) { FileManager.default.fileExists(atPath: marker) })
            a.kill(SIGKILL)
            #expect(a.waitForExit(timeout: 10))
            #expect(try s.drain() == 0)
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
            let (ledger, marker) = (s.root + "/../ledger", s.root + "/../marker")
            try s.drop("once.yaml", Lease.twoPhaseJob(marker: marker, ledger: ledger, extra: "max_attempts: 1\n"))
            let a = try s.startWorker()
            #expect(s.wait(timeout: 20) { FileManager.default.fileExists(atPath: marker) })
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
            let (ledger, marker) = (s.root + "/../ledger", s.root + "/../marker")
            try s.drop("orphan.yaml", Lease.twoPhaseJob(marker: marker, ledger: ledger))
            let a = try s.startWorker()
            #expect(s.wait(timeout: 20) { FileManager.default.fileExists(atPath: marker) })
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
