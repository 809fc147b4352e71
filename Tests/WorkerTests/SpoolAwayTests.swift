import Foundation
import Testing
import TestSupport

extension Integration {
    @Suite struct SpoolAway {
        /// Polling is a minute away here: whatever is claimed after the spool returns was found by the
        /// inotify watch on new/ or by the rescan that re-establishing it triggers.
        static let config = TestSpool.config(lease: "3s", poll: "60s")

        /// `mv spool spool.away; …; mv spool.away spool` while a step runs (reliability case 24). The worker
        /// once said "another worker took it over" and dropped the run. Now it says the spool went away,
        /// claims nothing from it meanwhile, keeps the run (its lease is renewed through its fd), and on the
        /// spool's return watches new/ again.
        @Test func spoolMovedAwayAndBackKeepsItsRunAndWatchesAgain() throws {
            let s = try TestSpool(config: SpoolAway.config)
            let started = s.root + "/../started"
            try s.drop("long.yaml", "steps:\n  - run: touch \(started); sleep 3\n")
            let w = try s.startWorker()
            #expect(s.wait(timeout: 20) { FileManager.default.fileExists(atPath: started) }, "the step started")

            let away = s.root + ".away"
            try FileManager.default.moveItem(atPath: s.root, toPath: away)
            #expect(s.wait(timeout: 10) { w.logText.contains("went away") }, "log:\n\(w.logText)")
            // A job landing in the moved folder is not claimed from it.
            let awaySpool = try TestSpool(config: SpoolAway.config, root: away)
            try awaySpool.drop("meanwhile.yaml", "steps: []\n")
            Thread.sleep(forTimeInterval: 0.5)
            #expect(awaySpool.jobFiles(awaySpool.new) == ["meanwhile.yaml"], "claimed while the spool was away")
            try FileManager.default.moveItem(atPath: away, toPath: s.root)

            #expect(s.wait(timeout: 10) { w.logText.contains("is back") }, "log:\n\(w.logText)")
            #expect(s.wait(timeout: 20) { s.runIDs(in: s.done).count == 2 }, "the run and the job from meanwhile finished")
            // Now only the watch can bring a new job in before the next poll.
            let dropped = Date()
            try s.drop("after.yaml", "steps: []\n")
            #expect(s.wait(timeout: 20) { s.runIDs(in: s.done).count == 3 }, "claimed through the watch")
            let latency = Date().timeIntervalSince(dropped)
            #expect(latency < 20, "took \(latency)s")
            w.kill(SIGTERM)
            #expect(w.waitForExit(timeout: 20))

            let log = w.logText
            #expect(log.contains("the spool folder \(s.root) went away (moved or unmounted); not claiming until it returns"))
            #expect(!log.contains("another worker took it over"), "\(log)")
            #expect(!log.contains("lost the lease"), "\(log)")
            var names: [String: [[String: Any]]] = [:]
            for run in s.runIDs(in: s.done) {
                let ev = try s.checkFinished(run, status: "succeeded")
                names[ev.first?["name"] as? String ?? "?"] = ev
            }
            #expect(Set(names.keys) == ["long.yaml", "meanwhile.yaml", "after.yaml"])
            let long = names["long.yaml"] ?? []
            #expect(long.filter { $0["type"] as? String == "claimed" }.count == 1)
            #expect(!long.contains { $0["type"] as? String == "requeued" })
            s.expectCurEmpty()
        }
    }
}
