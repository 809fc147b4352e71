import Foundation
import Testing
import TestSupport

extension Integration {
    @Suite struct CLI {
        @Test func submitValidatesAndPrintsTheRunID() throws {
            let s = try TestSpool()
            let ok = try s.run(["submit", "-"], stdin: "title: via stdin\nsteps:\n  - run: echo hi\n")
            #expect(ok.status == 0, "\(ok.stderr)")
            let run = ok.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(FileManager.default.fileExists(atPath: "\(s.new)/\(run).yaml"))
            #expect(s.names(s.tmp).isEmpty, "nothing left staged in tmp/")

            let bad = s.root + "/../bad.yaml"
            try "title: x\nsteps:\n  - run: echo\n    timout: 5s\n".write(toFile: bad, atomically: false, encoding: .utf8)
            let refused = try s.run(["submit", bad])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("bad.yaml:4:5"), "names file, line and column: \(refused.stderr)")
            #expect(refused.stderr.contains("timeout"), "suggests the key it probably meant: \(refused.stderr)")
            #expect(s.jobFiles(s.new).count == 1, "a refused job is not queued")

            let v = try TestSpool.cli(["validate", "--json", bad])
            #expect(v.status != 0)
            let report = try JSONSerialization.jsonObject(with: Data(v.stdout.utf8)) as? [[String: Any]]
            #expect(report?.first?["line"] as? Int == 4)
            #expect(report?.first?["column"] as? Int == 5)
        }

        @Test func lsShowTailAndRetry() throws {
            let s = try TestSpool()
            let run = try s.run(["submit", "-"], stdin: "title: listed\nlabels: [demo]\nsteps:\n  - run: echo out; exit 2\n")
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let queued = try s.run(["ls", "--state", "queued", "--json"])
            let list = try JSONSerialization.jsonObject(with: Data(queued.stdout.utf8)) as? [[String: Any]]
            #expect(list?.map { $0["id"] as? String } == [run])

            // tail -f started while queued follows the run through cur/ into done/ and exits after `finished`.
            let tail = Process()
            tail.executableURL = URL(fileURLWithPath: Binary.path)
            tail.arguments = ["tail", "-f", run, "--spool", s.root]
            let out = Pipe()
            tail.standardOutput = out
            try tail.run()
            #expect(try s.drain() == 0)
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            tail.waitUntilExit()
            let types = text.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["type"] as? String
            }
            #expect(types.first == "queued" && types.last == "finished", "\(types)")
            #expect(types.contains("step.output"))

            let shown = try s.run(["show", run, "--json"])
            let detail = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
            let summary = detail?["summary"] as? [String: Any]
            #expect(detail?["job"] as? String == "title: listed\nlabels: [demo]\nsteps:\n  - run: echo out; exit 2\n")
            #expect(summary?["status"] as? String == "failed")
            #expect(summary?["title"] as? String == "listed")

            let failed = try s.run(["ls", "--status", "failed", "--label", "demo", "--json"])
            #expect((try JSONSerialization.jsonObject(with: Data(failed.stdout.utf8)) as? [[String: Any]])?.count == 1)

            let retried = try s.run(["retry", run])
            #expect(retried.status == 0, "\(retried.stderr)")
            let next = retried.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(next != run && FileManager.default.fileExists(atPath: "\(s.new)/\(next).yaml"))
            #expect(try s.events(next, in: s.new).first?["previous"] as? String == run)
            #expect(try s.events(run, in: s.done).last?["next"] as? String == next)

            let missing = try s.run(["show", "no-such-run"])
            #expect(missing.status != 0 && !missing.stderr.isEmpty)
        }

        @Test func stoppingAQueuedRunFinishesItAsStopped() throws {
            let s = try TestSpool()
            let run = try s.run(["submit", "-"], stdin: "steps:\n  - run: echo never\n").stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try s.run(["stop", run]).status == 0)
            #expect(try s.drain() == 0)
            let ev = try s.checkFinished(run, status: "stopped")
            #expect(!ev.contains { $0["type"] as? String == "step.started" })
        }

        @Test func errorsAreClearAndNonZero() throws {
            let r = try TestSpool.cli(["ls", "--spool", "/nonexistent/spool"])
            #expect(r.status != 0)
            #expect(r.stderr.contains("/nonexistent/spool"), "\(r.stderr)")
        }
    }

    @Suite struct Shutdown {
        /// SIGTERM: no new claims, a grace period for running steps, then what is left goes back to new/.
        @Test func sigtermRequeuesRunningJobs() throws {
            let s = try TestSpool(config: "lease: 5s\npoll_interval: 200ms\nsettle: 0s\nshutdown_grace: 500ms\nkill_grace: 500ms\n")
            let (w, ledger) = try s.startTwoPhaseJob("long.yaml")
            w.kill(SIGTERM)
            #expect(w.waitForExit(timeout: 20))
            #expect(w.exitStatus == 0, "\(w.logText)")
            #expect(s.runIDs(in: s.new).count == 1, "requeued under its run id")
            s.expectCurEmpty()
            #expect(try s.drain() == 0)
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "succeeded")
            #expect(ev.contains { $0["type"] as? String == "requeued" && $0["reason"] as? String == "worker-shutdown" })
            #expect(try String(contentsOfFile: ledger, encoding: .utf8) == "second\n", "the interrupted attempt never finished")
        }
    }
}
