import Foundation
import Testing
import TestSupport

extension Integration {
    /// Several worker processes race on one spool; every job must run exactly once.
    @Suite struct Race {
        static let jobCount = Int(ProcessInfo.processInfo.environment["AGENT_RUNNER_RACE_JOBS"] ?? "") ?? 10_000
        /// A longer lease than the other tests: eight workers on two cores must not lose runs to a slow heartbeat.
        static let config = TestSpool.config(lease: "10s", poll: "1s")

        @Test(arguments: [2, 8])
        func noOpJobsRunExactlyOnce(workers: Int) throws {
            let s = try TestSpool(config: Race.config)
            let n = Race.jobCount
            for i in 0..<n { try s.drop(String(format: "job-%05d.yaml", i), "title: race \(i)\nsteps: []\n") }
            let fleet = try (0..<workers).map { _ in try s.startWorker(["--drain", "--concurrency", "4"]) }
            for w in fleet {
                #expect(w.waitForExit(timeout: 600), "worker \(w.pid) did not drain")
                #expect(w.exitStatus == 0, "worker log:\n\(w.logText.suffix(2000))")
            }
            #expect(s.jobFiles(s.new).isEmpty)
            s.expectCurEmpty()
            let runs = s.runIDs(in: s.done)
            #expect(runs.count == n)
            var seen: [String: Int] = [:]
            for run in runs {
                let ev = try s.events(run, in: s.done)
                let types = ev.map { $0["type"] as? String ?? "" }
                #expect(types.filter { $0 == "claimed" }.count == 1, "\(run): \(types)")
                #expect(types.filter { $0 == "finished" }.count == 1, "\(run): \(types)")
                #expect(ev.last?["status"] as? String == "succeeded")
                if let name = ev.first(where: { $0["type"] as? String == "queued" })?["name"] as? String { seen[name, default: 0] += 1 }
            }
            #expect(seen.count == n, "every dropped name has a run")
            #expect(seen.values.allSatisfy { $0 == 1 }, "no name ran twice: \(seen.filter { $0.value != 1 }.prefix(5))")
        }

        /// The same race with real shell steps: each job appends its name to one shared log, so a job
        /// that ran twice (or never) shows in the log itself, not only in the spool's bookkeeping.
        @Test func shellJobsRunExactlyOnce() throws {
            let s = try TestSpool(config: Race.config)
            let ledger = s.root + "/../ledger.txt"
            let n = 300
            for i in 0..<n {
                try s.drop("shell-\(i).yaml", "title: shell \(i)\nsteps:\n  - run: echo shell-\(i) >> \(ledger)\n")
            }
            let fleet = try (0..<8).map { _ in try s.startWorker(["--drain", "--concurrency", "3"]) }
            for w in fleet { #expect(w.waitForExit(timeout: 300)); #expect(w.exitStatus == 0, "\(w.logText.suffix(2000))") }
            let lines = try String(contentsOfFile: ledger, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(lines.count == n)
            #expect(Set(lines).count == n)
            #expect(s.runIDs(in: s.done).count == n)
            s.expectCurEmpty()
        }
    }
}
