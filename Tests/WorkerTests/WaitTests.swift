import Foundation
import SpoolCore
import Testing
import TestSupport

extension Integration {
    /// `wait:` steps: a parent parked in `wait/` holds no slot and no lease, any worker releases it when its
    /// children finish (or its deadline passes, or it is stopped), and it goes on after the wait.
    @Suite struct Waiting {
        static let config = TestSpool.config(lease: "1s", grace: "200ms", shutdownGrace: "500ms", killGrace: "500ms")
            + "concurrency: 1\n"
        static let parkPoints: [CrashPoint] = [.parkConditionWritten, .parkTokenTaken, .parkEventWritten, .parkCompanionsMoved, .parkJobMoved]
        static let releasePoints: [CrashPoint] = [.releaseTokenTaken, .releaseEventWritten, .releaseCompanionsMoved, .releaseJobMoved]

        /// A parent that writes `before`, spawns `children` children (each appends its tag), waits with `mode`
        /// and writes `after`.
        static func parent(_ s: TestSpool, ledger: String, children: [String], childRun: String = "", mode: String = "all",
                           waitExtra: String = "") throws -> String {
            let bin = Binary.path
            var spawns: [String] = []
            for tag in children {
                let file = s.root + "/../child-\(tag).yaml"
                try "title: child \(tag)\nsteps:\n  - run: \(childRun)echo \(tag) >> \(ledger)\n".write(toFile: file, atomically: true, encoding: .utf8)
                spawns.append("\(bin) spawn \(file) --key \(tag)")
            }
            return """
                title: parent
                steps:
                  - run: echo before >> \(ledger); \(spawns.joined(separator: " && "))
                  - wait: \(mode)\(waitExtra)
                  - run: echo after >> \(ledger)

                """
        }

        @Test func everyWaitCrashPointIsTested() {
            let all = Set(CrashPoint.allCases.filter { $0.rawValue.hasPrefix("park.") || $0.rawValue.hasPrefix("release.") })
            #expect(all == Set(Waiting.parkPoints + Waiting.releasePoints))
        }

        /// `concurrency: 1` and a parent that waits for three children: the parked parent gives its slot up,
        /// so the children run, and then the parent goes on, in the same attempt, after its wait.
        @Test func oneSlotIsEnoughForAParentAndItsChildren() throws {
            let s = try TestSpool(config: Waiting.config)
            let ledger = s.root + "/../ledger.txt"
            let r = try s.run(["submit", "-"], stdin: try Waiting.parent(s, ledger: ledger, children: ["a", "b", "c"]))
            #expect(r.status == 0, "\(r.stderr)")
            let parent = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try s.drain() == 0)
            let lines = WaitLedger.lines(ledger)
            #expect(lines.first == "before" && lines.last == "after" && Set(lines.dropFirst().dropLast()) == ["a", "b", "c"] && lines.count == 5,
                    "\(lines)")
            let events = try s.checkFinished(parent, status: "succeeded")
            let types = events.compactMap { $0["type"] as? String }
            #expect(types.filter { $0 == "wait.started" }.count == 1 && types.filter { $0 == "wait.released" }.count == 1)
            let released = try #require(events.first { $0["type"] as? String == "wait.released" })
            #expect(released["reason"] as? String == "met" && released["finished"] as? Int == 3)
            #expect(events.filter { $0["type"] as? String == "claimed" }.compactMap { $0["attempt"] as? Int } == [1, 1], "a wait is not a retry")
            #expect(events.map { $0["seq"] as? Int } == Array(1...events.count).map { Optional($0) })
            #expect(s.names(s.root + "/wait").isEmpty, "wait/: \(s.names(s.root + "/wait"))")
            s.expectCurEmpty()
        }

        /// Children that never finish in time: the parent is released at its deadline, its wait step fails with
        /// the count, and the run fails; it does not hang.
        @Test func aWaitEndsAtItsDeadline() throws {
            let s = try TestSpool(config: TestSpool.config(lease: "1s", grace: "200ms", shutdownGrace: "500ms", killGrace: "500ms")
                                  + "concurrency: 2\n")
            let ledger = s.root + "/../ledger.txt"
            let r = try s.run(["submit", "-"], stdin: try Waiting.parent(s, ledger: ledger, children: ["slow"], childRun: "sleep 30; ",
                                                                          waitExtra: "\n    timeout: 1s"))
            let parent = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let worker = try s.startWorker()
            defer { worker.kill(SIGKILL) }
            #expect(s.wait(timeout: 20) { FileManager.default.fileExists(atPath: s.done + "/" + parent + ".yaml") })
            let events = try s.checkFinished(parent, status: "failed")
            let finished = try #require(events.last)
            #expect((finished["reason"] as? String)?.contains("timed out: 0 children finished, 1 needed") == true, "\(finished)")
            let released = try #require(events.first { $0["type"] as? String == "wait.released" })
            #expect(released["reason"] as? String == "deadline")
            let children = released["children"] as? [[String: Any]]
            #expect(children?.first?["status"] as? String == "unfinished")
            #expect(WaitLedger.lines(ledger) == ["before"], "the step after the wait did not run")
        }

        /// `wait: any`: the parent goes on after the first child, while the other still runs. Stopping a parked
        /// parent releases it at once and it ends `stopped`, and so does its running child.
        @Test func anyGoesOnAfterTheFirstAndStopEndsAWait() throws {
            let s = try TestSpool(config: TestSpool.config(lease: "1s", grace: "200ms", shutdownGrace: "500ms", killGrace: "500ms")
                                  + "concurrency: 3\n")
            let ledger = s.root + "/../ledger.txt", marker = s.root + "/../fast-may-go"
            let fast = try s.run(["submit", "-"], stdin: try Waiting.parent(s, ledger: ledger, children: ["fast"],
                                                                             childRun: "while [ ! -e \(marker) ]; do sleep 0.05; done; ", mode: "any"))
            let anyParent = fast.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let worker = try s.startWorker()
            defer { worker.kill(SIGKILL) }
            #expect(s.wait(timeout: 20) { FileManager.default.fileExists(atPath: s.root + "/wait/" + anyParent + ".yaml") }, "parked")
            FileManager.default.createFile(atPath: marker, contents: nil)
            #expect(s.wait(timeout: 20) { FileManager.default.fileExists(atPath: s.done + "/" + anyParent + ".yaml") })
            _ = try s.checkFinished(anyParent, status: "succeeded")

            let slowLedger = s.root + "/../slow-ledger.txt"
            let slow = try s.run(["submit", "-"], stdin: try Waiting.parent(s, ledger: slowLedger, children: ["slow"], childRun: "sleep 30; "))
            let stopped = slow.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(s.wait(timeout: 20) { FileManager.default.fileExists(atPath: s.root + "/wait/" + stopped + ".yaml") }, "parked")
            let stop = try s.run(["stop", stopped])
            #expect(stop.status == 0, "\(stop.stderr)")
            #expect(s.wait(timeout: 20) { FileManager.default.fileExists(atPath: s.done + "/" + stopped + ".yaml") })
            let events = try s.checkFinished(stopped, status: "stopped")
            #expect(events.contains { $0["type"] as? String == "wait.released" && $0["reason"] as? String == "stopped" })
            #expect(WaitLedger.lines(slowLedger) == ["before"])
            // The stop reached the running child as well.
            let child = try #require(events.first { $0["type"] as? String == "child.spawned" }?["child"] as? String)
            #expect(s.wait(timeout: 20) { FileManager.default.fileExists(atPath: s.done + "/" + child + ".yaml") })
            _ = try s.checkFinished(child, status: "stopped")
        }

        /// Children hand back what they wrote to `$AGENT_RUNNER_OUTPUT` in `result.json`; after the wait the
        /// parent's next step finds every child's status and result in `children.json`.
        @Test func childrenHandBackResults() throws {
            let s = try TestSpool(config: Waiting.config)
            let bin = Binary.path, child = s.root + "/../child.yaml", seen = s.root + "/../children.json"
            try """
                env:
                  CHILD_TAG: t
                steps:
                  - run: echo "answer=$((6*7))" >> "$AGENT_RUNNER_OUTPUT"; echo "answer=43" >> "$AGENT_RUNNER_OUTPUT"
                  - run: printf 'tag=%s\\nnot a pair\\n' "$CHILD_TAG" >> "$AGENT_RUNNER_OUTPUT"

                """.write(toFile: child, atomically: true, encoding: .utf8)
            let r = try s.run(["submit", "-"], stdin: """
                steps:
                  - run: \(bin) spawn \(child) --key one && \(bin) spawn \(child) --key two
                  - wait: all
                  - run: cp "$AGENT_RUNNER_ARTIFACTS/children.json" \(seen)

                """)
            let parent = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try s.drain() == 0)
            _ = try s.checkFinished(parent, status: "succeeded")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: seen))) as? [[String: Any]])
            #expect(rows.count == 2)
            for row in rows {
                #expect(row["state"] as? String == "done" && row["status"] as? String == "succeeded")
                let result = try #require(row["result"] as? [String: Any], "\(row)")
                #expect(result["outputs"] as? [String: String] == ["answer": "43", "tag": "t"], "\(result)")
                #expect(result["output_errors"] as? [String] == ["line 4: expected key=value, got \"not a pair\""], "\(result)")
                #expect(result["parent"] as? String == parent && result["changed_files"] is NSNull, "no git: nobody knows what changed")
                let id = try #require(row["id"] as? String)
                #expect(FileManager.default.fileExists(atPath: s.done + "/" + id + ".artifacts/result.json"))
            }
            #expect(!FileManager.default.fileExists(atPath: s.done + "/" + parent + ".artifacts/result.json"), "no outputs, no parent: no result.json")
        }

        /// With git, `changed_files` lists what the run's commits touched, and `[]` says it changed nothing.
        @Test func resultsSayWhatChanged() throws {
            let s = try TestSpool(config: Waiting.config)
            let repo = s.root + "/../repo"
            _ = try TestSpool.shell("git init -q \(repo) && cd \(repo) && echo a > a.txt && git add . && git -c user.name=t -c user.email=t@t commit -qm init")
            var runs: [String] = []
            for command in ["echo b > b.txt; echo k=v >> \"$AGENT_RUNNER_OUTPUT\"", "echo k=v >> \"$AGENT_RUNNER_OUTPUT\""] {
                let r = try s.run(["submit", "-"], stdin: "workspace: \(repo)\ngit: {commit: step}\nsteps:\n  - run: '\(command)'\n")
                #expect(r.status == 0, "\(r.stderr)")
                runs.append(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            #expect(try s.drain() == 0)
            var changed: [[String]] = []
            for run in runs {
                let data = try Data(contentsOf: URL(fileURLWithPath: s.done + "/" + run + ".artifacts/result.json"))
                let result = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
                changed.append(try #require(result["changed_files"] as? [String], "\(result)"))
            }
            #expect(changed == [["b.txt"], []])
        }

        /// Stopping a parked parent stops its children too: the two running get their stop file, the queued
        /// one is finished as stopped without running, and the parent ends `stopped`.
        @Test func stoppingAParentStopsItsChildren() throws {
            let s = try TestSpool(config: TestSpool.config(lease: "1s", grace: "200ms", shutdownGrace: "500ms", killGrace: "500ms")
                                  + "concurrency: 2\n")
            let ledger = s.root + "/../ledger.txt"
            let r = try s.run(["submit", "-"], stdin: try Waiting.parent(s, ledger: ledger, children: ["a", "b", "c"], childRun: "sleep 30; "))
            let parent = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let worker = try s.startWorker()
            defer { worker.kill(SIGKILL) }
            #expect(s.wait(timeout: 20) {
                FileManager.default.fileExists(atPath: s.root + "/wait/" + parent + ".yaml") && s.runIDs(in: s.cur).count == 2
            }, "parked, two children running")
            #expect(try s.run(["stop", parent]).status == 0)
            #expect(s.wait(timeout: 20) { s.runIDs(in: s.done).count == 4 }, "done/: \(s.names(s.done))")
            _ = try s.checkFinished(parent, status: "stopped")
            let children = try s.events(parent, in: s.done).filter { $0["type"] as? String == "child.spawned" }.compactMap { $0["child"] as? String }
            #expect(children.count == 3)
            var reasons: [String] = []
            for child in children {
                let ev = try s.checkFinished(child, status: "stopped")
                reasons.append(ev.last?["reason"] as? String ?? "")
            }
            #expect(reasons.filter { $0 == "stopped while queued" }.count == 1, "\(reasons)")
            #expect(WaitLedger.lines(ledger) == ["before"], "no child got past its sleep, nor the parent past its wait")
        }

        /// Two bindfs (FUSE) mounts of one spool act like two NFS clients: neither worker's inotify sees the
        /// other's writes. Four parents with five children each, submitted through one mount: every child runs
        /// once, every parent is released (by whichever worker polls first) and goes on once.
        @Test(.enabled(if: fuseUnavailableReason == nil, "FUSE unavailable: \(fuseUnavailableReason ?? "")"))
        func twoMountsRunParentsAndChildrenOnce() throws {
            let config = "poll_interval: 300ms\nsettle: 0s\nlease: 5s\nconcurrency: 2\n"
            let s = try TestSpool(config: config)
            let parentDir = URL(fileURLWithPath: s.root).deletingLastPathComponent().path
            let (a, b) = try Bindfs.mountTwice(s.root)
            defer { Bindfs.unmount(a); Bindfs.unmount(b) }
            let viaB = try TestSpool(config: config, root: b)
            let ledger = parentDir + "/ledger.txt"
            var parents: [String] = []
            for p in 0..<4 {
                let tags = (0..<5).map { "p\(p)c\($0)" }
                let job = try Waiting.parent(s, ledger: ledger, children: tags).replacingOccurrences(of: "echo after", with: "echo after-\(p)")
                let r = try viaB.run(["submit", "-", "--spool", b], stdin: job)
                #expect(r.status == 0, "\(r.stderr)")
                parents.append(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            let wa = try s.startWorker(spoolPath: a)
            let wb = try viaB.startWorker(spoolPath: b)
            defer { wa.kill(SIGKILL); wb.kill(SIGKILL) }
            #expect(s.wait(timeout: 60) { s.runIDs(in: s.done).count == 24 }, "done/: \(s.runIDs(in: s.done).count) of 24")
            for parent in parents { _ = try s.checkFinished(parent, status: "succeeded") }
            let lines = WaitLedger.lines(ledger)
            var counts: [String: Int] = [:]
            for line in lines { counts[line, default: 0] += 1 }
            let expected = Set((0..<4).flatMap { p in ["after-\(p)"] + (0..<5).map { "p\(p)c\($0)" } } + ["before"])
            #expect(Set(counts.keys) == expected && counts["before"] == 4 && counts.filter { $0.key != "before" }.values.allSatisfy { $0 == 1 },
                    "\(counts.sorted { $0.key < $1.key })")
            #expect(s.names(s.root + "/wait").isEmpty, "wait/: \(s.names(s.root + "/wait"))")
            s.expectCurEmpty()
        }

        /// The worker dies at each step of the park (the first worker) or of the release (the worker that ran
        /// the last child): a fresh worker completes or rolls back the move, each child runs once and the
        /// parent ends once. A crash before the park took the lease (`park.condition-written`) is a crash
        /// while running: that attempt's steps run again (the spawns queue nothing new).
        @Test(arguments: parkPoints + releasePoints)
        func crashDuringParkOrRelease(point: CrashPoint) throws {
            let s = try TestSpool(config: Waiting.config)
            let ledger = s.root + "/../ledger.txt"
            let r = try s.run(["submit", "-"], stdin: try Waiting.parent(s, ledger: ledger, children: ["a", "b"]))
            let parent = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let first = try s.startWorker(env: ["AGENT_RUNNER_FAULTS": "crash@\(point.rawValue)"])
            #expect(first.waitForExit(timeout: 30))
            #expect(first.exitStatus == 128 + SIGKILL, "should die at \(point.rawValue); log:\n\(first.logText)")
            #expect(try s.drain() == 0)
            _ = try s.checkFinished(parent, status: "succeeded")
            let lines = WaitLedger.lines(ledger)
            let before = point == .parkConditionWritten ? ["before", "before"] : ["before"]
            #expect(lines.filter { $0 == "before" } == before && lines.filter { $0 == "after" } == ["after"], "\(lines)")
            #expect(lines.filter { $0 == "a" } == ["a"] && lines.filter { $0 == "b" } == ["b"], "\(lines)")
            #expect(s.runIDs(in: s.done).count == 3)
            #expect(s.names(s.root + "/wait").isEmpty, "wait/: \(s.names(s.root + "/wait"))")
            s.expectCurEmpty()
        }
    }
}

enum WaitLedger {
    static func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}
