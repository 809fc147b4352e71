import Foundation
import SpoolCore
import Testing
import TestSupport

extension Integration {
    /// `kill -9` at every documented crash point (`AGENT_RUNNER_FAULTS=crash@POINT` makes the worker
    /// SIGKILL itself there), then a fresh worker recovers. No job is lost, none runs to completion twice,
    /// and `cur/` ends empty.
    @Suite struct Crash {
        static let config = TestSpool.config(lease: "1s", grace: "200ms", shutdownGrace: "500ms", killGrace: "500ms")

        static let claimAndFinishPoints: [CrashPoint] = [
            .claimLeaseCreated, .claimRenamed, .claimCompanionsMoved, .claimEventWritten, .stepStarted,
            .finishTokenTaken, .finishEventWritten, .finishArtifactsMoved, .finishEventsMoved, .finishJobMoved,
        ]
        static let requeuePoints: [CrashPoint] = [.requeueTokenTaken, .requeueEventWritten, .requeueCompanionsMoved, .requeueJobMoved]

        @Test func everyCrashPointIsCovered() {
            #expect(Set(Crash.claimAndFinishPoints + Crash.requeuePoints + Spawning.points + Waiting.parkPoints + Waiting.releasePoints)
                    == Set(CrashPoint.allCases))
        }

        /// A dropped job and a CLI-submitted one (which already has a run id and an events file in `new/`).
        @Test(arguments: claimAndFinishPoints, [false, true])
        func crashDuringClaimOrFinish(point: CrashPoint, submitted: Bool) throws {
            let s = try TestSpool(config: Crash.config)
            let ledger = s.root + "/../ledger.txt"
            let job = "title: crash test\nsteps:\n  - run: echo ran >> \(ledger)\n"
            if submitted {
                let r = try s.run(["submit", "-"], stdin: job)
                #expect(r.status == 0, "\(r.stderr)")
            } else {
                try s.drop("victim.yaml", job)
            }
            let first = try s.startWorker(["--drain"], env: ["AGENT_RUNNER_FAULTS": "crash@\(point.rawValue)"])
            #expect(first.waitForExit(timeout: 30))
            let crashed = first.exitStatus == 128 + SIGKILL
            if point != .claimCompanionsMoved || submitted {
                #expect(crashed, "the worker should have died at \(point.rawValue); log:\n\(first.logText)")
            }
            #expect(try s.drain() == 0)
            try expectOneSucceededRun(s, ledger: ledger, ledgerLines: ["ran"])
        }

        /// A worker shutting down (SIGTERM) requeues its running job and dies at each step of the requeue.
        @Test(arguments: requeuePoints)
        func crashDuringRequeue(point: CrashPoint) throws {
            let s = try TestSpool(config: Crash.config)
            let ledger = s.root + "/../ledger.txt"
            let marker = s.root + "/../first-attempt"
            try s.drop("requeue.yaml", """
                title: requeue crash
                steps:
                  - run: if [ -e \(marker) ]; then echo second >> \(ledger); else touch \(marker); echo first >> \(ledger); sleep 30; fi

                """)
            let first = try s.startWorker([], env: ["AGENT_RUNNER_FAULTS": "crash@\(point.rawValue)"])
            #expect(s.wait(timeout: 20) { FileManager.default.fileExists(atPath: marker) })
            first.kill(SIGTERM)
            #expect(first.waitForExit(timeout: 20))
            #expect(first.exitStatus == 128 + SIGKILL, "should die at \(point.rawValue); log:\n\(first.logText)")
            #expect(try s.drain() == 0)
            let ev = try expectOneSucceededRun(s, ledger: ledger, ledgerLines: ["first", "second"])
            #expect(ev.contains { $0["type"] as? String == "requeued" })
        }

        /// SIGKILL the worker mid-step: within a second no process of the step is left (the shell, its
        /// supervisor, nor a `setsid` grandchild), so the side-effect file is written by the takeover only.
        @Test func aStepsProcessTreeDiesWithItsWorker() throws {
            let s = try TestSpool(config: Crash.config)
            let side = s.root + "/../side-effect", pids = s.root + "/../pids"
            let r = try s.run(["submit", "-"], stdin: """
                steps:
                  - run: echo $$ >> \(pids); setsid sh -c 'echo $$ >> \(pids); sleep 2; echo "grandchild $AGENT_RUNNER_ATTEMPT" >> \(side)' & sleep 2; echo "step $AGENT_RUNNER_ATTEMPT" >> \(side); wait

                """)
            #expect(r.status == 0, "\(r.stderr)")
            let run = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let worker = try s.startWorker()
            #expect(s.wait(timeout: 20) { StepProcesses.lines(pids).count >= 2 }, "the step and its grandchild started")
            let started = StepProcesses.lines(pids).compactMap { Int32($0) }
            worker.kill(SIGKILL)
            #expect(worker.waitForExit(timeout: 10))
            #expect(s.wait(timeout: 1) { StepProcesses.of(run: run).isEmpty },
                    "1 s after the worker died, still alive: \(StepProcesses.of(run: run)) (step pids \(started))")
            #expect(try s.drain() == 0)
            try s.checkFinished(run, status: "succeeded")
            #expect(StepProcesses.lines(side).sorted() == ["grandchild 2", "step 2"], "only the takeover (attempt 2) wrote")
        }

        @discardableResult
        func expectOneSucceededRun(_ s: TestSpool, ledger: String, ledgerLines: [String],
                                   sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
            let runs = s.runIDs(in: s.done)
            #expect(runs.count == 1, "one run in done/: \(s.names(s.done))", sourceLocation: sourceLocation)
            #expect(s.jobFiles(s.new).isEmpty, "new/: \(s.names(s.new))", sourceLocation: sourceLocation)
            s.expectCurEmpty(sourceLocation: sourceLocation)
            let lines = ((try? String(contentsOfFile: ledger, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            #expect(lines == ledgerLines, "the step's side effects", sourceLocation: sourceLocation)
            guard let run = runs.first else { return [] }
            return try s.checkFinished(run, status: "succeeded", sourceLocation: sourceLocation)
        }
    }
}
