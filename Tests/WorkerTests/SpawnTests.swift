import Foundation
import SpoolCore
import Testing
import TestSupport

extension Integration {
    /// `agent-runner spawn` from a running job's step: each child is queued once per (parent, step, key),
    /// however often the step runs and wherever the spawn was cut short.
    @Suite struct Spawning {
        static let config = TestSpool.config(lease: "1s", grace: "200ms", shutdownGrace: "500ms", killGrace: "500ms")
        static let points: [CrashPoint] = [.spawnEventWritten, .spawnStaged, .spawnLinked, .spawnDelivered]

        /// A child job whose only side effect is one line in `ledger`.
        static func childJob(_ ledger: String, _ tag: String) -> String {
            "title: child \(tag)\nsteps:\n  - run: echo \(tag) >> \(ledger)\n"
        }

        @Test func everySpawnCrashPointIsTested() {
            #expect(Set(CrashPoint.allCases.filter { $0.rawValue.hasPrefix("spawn.") }) == Set(Spawning.points))
        }

        /// The job runs `agent-runner spawn`, so its flags may lower the runner's limits and never raise them.
        @Test func aJobCanOnlyLowerTheLimits() {
            #expect(SpawnLimits().lowered(maxDepth: 9, maxChildren: 5) == SpawnLimits(maxDepth: 3, maxChildren: 5))
            #expect(SpawnLimits().lowered(maxDepth: 1, maxChildren: 100_000) == SpawnLimits(maxDepth: 1, maxChildren: 20))
        }

        @Test func aChildsIdDependsOnParentStepAndKeyOnly() throws {
            let parent = try #require(RunID("20261204T184445078Z-31d76267cf-vm"))
            let a = RunID.child(of: parent, step: 1, key: "k")
            #expect(a == RunID.child(of: parent, step: 1, key: "k"))
            #expect(RunID(a.rawValue) == a, "a valid run id")
            #expect(a.rawValue.hasPrefix("20261204T184445078Z-") && a.rawValue.hasSuffix("-vm"))
            #expect(Set([a, .child(of: parent, step: 2, key: "k"), .child(of: parent, step: 1, key: "l"),
                         .child(of: try #require(RunID("20261204T184445078Z-31d76267ce-vm")), step: 1, key: "k")]).count == 4)
        }

        /// Three keys and a repeat of the first: three children, each run once, named on the parent before its
        /// step ends, and listed by `ls --parent`.
        @Test func aStepSpawnsEachKeyOnce() throws {
            let s = try TestSpool(config: Spawning.config)
            let ledger = s.root + "/../ledger.txt", child = s.root + "/../child.yaml"
            try Spawning.childJob(ledger, "ran").write(toFile: child, atomically: true, encoding: .utf8)
            let bin = Binary.path
            let r = try s.run(["submit", "-"], stdin: """
                title: parent
                steps:
                  - run: for k in a b c a; do \(bin) spawn \(child) --key $k; done

                """)
            #expect(r.status == 0, "\(r.stderr)")
            let parent = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try s.drain() == 0)
            let events = try s.checkFinished(parent, status: "succeeded")
            let spawned = events.filter { $0["type"] as? String == "child.spawned" }
            #expect(spawned.map { $0["key"] as? String } == ["a", "b", "c"])
            let finishedStep = events.firstIndex { $0["type"] as? String == "step.finished" } ?? -1
            #expect(events.lastIndex { $0["type"] as? String == "child.spawned" } ?? .max < finishedStep)
            #expect(events.map { $0["seq"] as? Int } == Array(1...events.count).map { Optional($0) }, "seq has no gaps or repeats")
            let output = events.filter { $0["type"] as? String == "step.output" }.compactMap { $0["text"] as? String }.joined()
            #expect(output.contains("was spawned already"))
            #expect(lines(ledger) == ["ran", "ran", "ran"])
            let children = spawned.compactMap { $0["child"] as? String }
            for c in children {
                let ev = try s.checkFinished(c, status: "succeeded")
                let queued = try #require(ev.first)
                #expect(queued["type"] as? String == "queued" && queued["parent"] as? String == parent && queued["depth"] as? Int == 1)
            }
            let listed = try s.run(["ls", "--parent", String(parent.prefix(28)), "-q"])
            #expect(Set(listed.stdout.split(separator: "\n").map(String.init)) == Set(children), "\(listed.stdout)\(listed.stderr)")
            let tree = try s.run(["tree", parent])
            let rows = tree.stdout.split(separator: "\n").map(String.init)
            #expect(rows.count == 4 && rows[0].hasPrefix(parent) && rows[0].contains("done succeeded  parent"), "\(tree.stdout)\(tree.stderr)")
            #expect(Set(rows.dropFirst().map { String($0.dropFirst(3).prefix(parent.count)) }) == Set(children), "\(tree.stdout)")
            #expect(rows.last?.hasPrefix("└─ ") == true && rows[1].hasPrefix("├─ "))
            let json = try JSONSerialization.jsonObject(with: Data(try s.run(["tree", parent, "--json"]).stdout.utf8)) as? [String: Any]
            let nodes = json?["children"] as? [[String: Any]]
            #expect(nodes?.count == 3 && nodes?.allSatisfy { ($0["summary"] as? [String: Any])?["parent"] as? String == parent } == true)
            s.expectCurEmpty()
        }

        /// The spawn process dies (SIGKILL) at each of its crash points, then its worker is killed too. With
        /// `respawn`, the parent's next attempt spawns again; without, it never does, and only recovery can
        /// finish what the link committed. Either way each child exists at most once and runs at most once:
        /// exactly once when the crash came after the link.
        @Test(arguments: points, [true, false])
        func crashDuringSpawn(point: CrashPoint, respawn: Bool) throws {
            let s = try TestSpool(config: Spawning.config)
            let ledger = s.root + "/../ledger.txt", child = s.root + "/../child.yaml", marker = s.root + "/../spawned"
            try Spawning.childJob(ledger, "child").write(toFile: child, atomically: true, encoding: .utf8)
            let spawn = "\(Binary.path) spawn \(child) --key only"
            let again = respawn ? spawn : "true"
            let r = try s.run(["submit", "-"], stdin: """
                steps:
                  - run: if [ "$AGENT_RUNNER_ATTEMPT" = 1 ]; then AGENT_RUNNER_FAULTS=crash@\(point.rawValue) \(spawn); touch \(marker); sleep 30; else \(again); fi

                """)
            #expect(r.status == 0, "\(r.stderr)")
            let parent = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            // One slot, which the parent holds: a child delivered now waits in new/, so the kill below cuts
            // the spawn only, never a child's own run (which, killed, would run again as any run does).
            let first = try s.startWorker(["--concurrency", "1"])
            #expect(s.wait(timeout: 20) { FileManager.default.fileExists(atPath: marker) })
            first.kill(SIGKILL)
            #expect(first.waitForExit(timeout: 10))
            #expect(try s.drain() == 0)
            // A spawn cut between its link and its rename waits for its staged file to be a lease old; then
            // any recovery delivers it. Wait for exactly that, then recover and drain once more.
            let id = try #require(RunID(parent))
            let staged = s.tmp + "/" + RunID.child(of: id, step: 1, key: "only").rawValue + ".yaml"
            if let st = try? Sys.lstat(FilePath(staged)) {
                #expect(s.wait(timeout: 10) { fileSystemNow(s) - st.mtime > 1.0 })
                #expect(try s.run(["recover"]).status == 0)
                #expect(try s.drain() == 0)
            }
            _ = try s.checkFinished(parent, status: "succeeded")
            let committed = respawn || point == .spawnLinked || point == .spawnDelivered
            #expect(lines(ledger) == (committed ? ["child"] : []), "the child ran \(committed ? "once" : "never")")
            #expect(s.runIDs(in: s.done).count == (committed ? 2 : 1), "\(s.names(s.done))")
            #expect(s.jobFiles(s.new).isEmpty && s.jobFiles(s.tmp).filter { !$0.hasPrefix(".") }.count <= (committed ? 0 : 1),
                    "new/: \(s.names(s.new)), tmp/: \(s.names(s.tmp))")
            s.expectCurEmpty()
        }

        /// `max_depth` and `max_children` are the runner's: the spawn that would go over one fails and names it.
        @Test func limitsAreEnforcedAndNamed() throws {
            let s = try TestSpool(config: Spawning.config)
            let bin = Binary.path, leaf = s.root + "/../leaf.yaml", middle = s.root + "/../middle.yaml"
            try "steps:\n  - run: 'true'\n".write(toFile: leaf, atomically: true, encoding: .utf8)
            try "steps:\n  - run: \(bin) spawn \(leaf) --max-depth 1\n".write(toFile: middle, atomically: true, encoding: .utf8)
            let r = try s.run(["submit", "-"], stdin: """
                steps:
                  - run: \(bin) spawn \(middle) --max-depth 1
                  - run: for k in 1 2 3; do \(bin) spawn \(leaf) --key $k --max-children 4 || exit 1; done
                  - run: \(bin) spawn \(leaf) --key 4 --max-children 4

                """)
            let parent = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try s.drain() == 0)
            let events = try s.checkFinished(parent, status: "failed")
            let errors = events.filter { $0["type"] as? String == "step.output" && $0["stream"] as? String == "stderr" }
                .compactMap { $0["text"] as? String }.joined()
            #expect(errors.contains("max_children is 4 and the run has spawned 4 children"), "\(errors)")
            let spawned = events.filter { $0["type"] as? String == "child.spawned" }.compactMap { $0["child"] as? String }
            #expect(spawned.count == 4, "the middle child and three leaves")
            let middleRun = try #require(spawned.first)
            let middleEvents = try s.checkFinished(middleRun, status: "failed")
            let middleErrors = middleEvents.compactMap { $0["text"] as? String }.joined()
            #expect(middleErrors.contains("max_depth is 1 and the run is at depth 1 already"), "\(middleErrors)")
        }

        /// Outside a running step there is nothing to spawn from; a bad child job is refused with its line.
        @Test func refusals() throws {
            let s = try TestSpool(config: Spawning.config)
            let leaf = s.root + "/../leaf.yaml", bad = s.root + "/../bad.yaml"
            try "steps:\n  - run: 'true'\n".write(toFile: leaf, atomically: true, encoding: .utf8)
            try "steps:\n  - run: 'true'\n    tiemout: 5s\n".write(toFile: bad, atomically: true, encoding: .utf8)
            let noParent = try s.run(["spawn", leaf], env: ["AGENT_RUNNER_RUN_ID": ""])
            #expect(noParent.status != 0 && noParent.stderr.contains("is not a run id"), "\(noParent.stderr)")
            let done = try s.run(["submit", leaf]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try s.drain() == 0)
            let finished = try s.run(["spawn", leaf, "--parent", done, "--step", "1"])
            #expect(finished.status != 0 && finished.stderr.contains("only a running run can spawn"), "\(finished.stderr)")
            let badJob = try s.run(["spawn", bad, "--parent", done, "--step", "1"])
            #expect(badJob.status != 0 && badJob.stderr.contains("bad.yaml:3:5"), "\(badJob.stderr)")
            #expect(!FileManager.default.fileExists(atPath: s.root + "/children/" + done))
        }

        /// The file system's clock: the mtime of a file written now (the staged file's mtime is on that clock).
        func fileSystemNow(_ s: TestSpool) -> Double {
            let probe = s.root + "/.clock/spawn-test"
            try? Data("x".utf8).write(to: URL(fileURLWithPath: probe))
            return (try? Sys.lstat(FilePath(probe)))?.mtime ?? 0
        }

        func lines(_ path: String) -> [String] {
            ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
    }
}
