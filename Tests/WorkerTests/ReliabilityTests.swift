import Foundation
import SpoolCore
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Reproductions from the fault runs (kill, stop and disk-full storms, hostile drops), each with real
/// worker processes.
extension Integration {
    @Suite struct Reliability {
        static let config = TestSpool.config(lease: "3s", killGrace: "500ms")

        /// The run was requeued while its worker was stopped; the same worker claims it again at once when
        /// it continues. The old attempt's end must not take the new attempt's bookkeeping with it (which
        /// left the new attempt without heartbeats, reaped by its own worker attempt after attempt).
        @Test func aWorkerResumedAfterSIGSTOPKeepsHeartbeatingItsNewAttempt() throws {
            let s = try TestSpool(config: Reliability.config)
            let ledger = s.root + "/../ledger"
            try s.drop("long.yaml", """
                max_attempts: 4
                steps:
                  - run: echo $AGENT_RUNNER_ATTEMPT >> \(ledger); sleep 8

                """)
            let w = try s.startWorker()
            #expect(s.wait(timeout: 20) { ((try? String(contentsOfFile: ledger, encoding: .utf8)) ?? "") == "1\n" })
            w.kill(SIGSTOP)
            // `recover` requeues the run once its lease is stale (3 s without a heartbeat).
            let requeued = s.wait(timeout: 20) {
                _ = try? s.run(["recover"])
                return !s.jobFiles(s.new).isEmpty
            }
            w.kill(SIGCONT)
            #expect(requeued, "recover requeued the stopped worker's run")
            #expect(s.wait(timeout: 60) { !s.jobFiles(s.done).isEmpty }, "the run finished; log:\n\(w.logText)")
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "succeeded")
            #expect(ev.filter { $0["type"] as? String == "claimed" }.map { $0["attempt"] as? Int } == [1, 2])
            #expect(ev.filter { $0["type"] as? String == "requeued" }.count == 1)
            #expect(try String(contentsOfFile: ledger, encoding: .utf8) == "1\n2\n")
            s.expectCurEmpty()
        }

        /// `cp done/R.yaml new/R.yaml` (or `mv`) is how a maildir user reruns a job: it becomes a new run,
        /// linked both ways to the old one, and the old run stays whole.
        @Test(arguments: ["cp", "mv"])
        func aFinishedJobPutBackInNewBecomesANewLinkedRun(_ tool: String) throws {
            let s = try TestSpool()
            let ledger = s.root + "/../ledger"
            try s.drop("again.yaml", "steps:\n  - run: echo ran >> \(ledger)\n")
            #expect(try s.drain() == 0)
            let old = try #require(s.runIDs(in: s.done).first)
            _ = try TestSpool.shell("\(tool) \(s.done)/\(old).yaml \(s.new)/\(old).yaml")
            #expect(try s.drain(timeout: 30) == 0)
            let runs = s.runIDs(in: s.done)
            #expect(runs.count == 2, "\(runs)")
            let next = try #require(runs.first { $0 != old })
            let oldEvents = try s.events(old, in: s.done)
            #expect(oldEvents.filter { $0["type"] as? String == "finished" }.count == 1)
            #expect(oldEvents.compactMap { $0["seq"] as? Int } == Array(1...oldEvents.count))
            let retried = try #require(oldEvents.last { $0["type"] as? String == "retried" })
            #expect(retried["next"] as? String == next)
            let newEvents = try s.checkFinished(next, status: "succeeded")
            #expect(newEvents.first?["type"] as? String == "queued")
            #expect(newEvents.first?["previous"] as? String == old)
            #expect(newEvents.first?["name"] as? String == "again.yaml")
            #expect(try String(contentsOfFile: ledger, encoding: .utf8) == "ran\nran\n")
            #expect(FileManager.default.fileExists(atPath: "\(s.done)/\(old).yaml"), "the old run keeps its job file")
            s.expectCurEmpty()
            #expect(s.jobFiles(s.new).isEmpty)
        }

        /// A full disk at claim time: the claim's `queued` and `claimed` events cannot be written. The
        /// reaper writes them from the lease before its own `requeued`, so the run keeps its name and queue time.
        @Test func aClaimWhoseEventsFailedKeepsItsNameAndQueueTime() throws {
            let s = try TestSpool()
            try s.drop("nightly-report.yaml", "steps:\n  - run: \"true\"\n")
            let sick = try s.startWorker([], env: ["AGENT_RUNNER_FAULTS": "events.write=ENOSPC"])
            #expect(s.wait(timeout: 20) { !s.jobFiles(s.cur).isEmpty })
            sick.kill(SIGKILL)
            #expect(sick.waitForExit(timeout: 10))
            #expect(try s.drain() == 0)
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "succeeded")
            let types = ev.map { $0["type"] as? String ?? "?" }
            #expect(Array(types.prefix(3)) == ["queued", "claimed", "requeued"], "\(types)")
            #expect(ev.first?["name"] as? String == "nightly-report.yaml")
            #expect(ev.first?["queued_at"] is String)
            #expect(ev[1]["attempt"] as? Int == 1)
            #expect(ev[1]["recovered_by"] is String)
            let list = try s.run(["ls", "--json"])
            #expect(list.stdout.contains("nightly-report.yaml"), "\(list.stdout)")
        }

        /// `(echo step1; sleep 3; echo step2) > new/x.yaml`: the writer holds the file open for 3 s, longer than
        /// the settle time. The worker waits for it to close and runs the whole job.
        @Test func aSlowInPlaceWriterIsNotClaimedWhileItWrites() throws {
            let s = try TestSpool(config: "lease: 2s\npoll_interval: 200ms\nsettle: 1s\ngrace: 300ms\nshutdown_grace: 1s\nkill_grace: 1s\n")
            let out = s.root + "/../out"
            let w = try s.startWorker()
            let writer = Process()
            writer.executableURL = URL(fileURLWithPath: "/bin/sh")
            writer.arguments = ["-c", "(echo 'steps:'; echo '  - run: echo one >> \(out)'; sleep 3; echo '  - run: echo two >> \(out)') > \(s.new)/x.yaml"]
            try writer.run()
            #expect(s.wait(timeout: 30) { !s.jobFiles(s.done).isEmpty }, "log:\n\(w.logText)")
            writer.waitUntilExit()
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "succeeded")
            #expect(ev.first { $0["type"] as? String == "started" }?["steps"] as? Int == 2)
            #expect(try String(contentsOfFile: out, encoding: .utf8) == "one\ntwo\n")
        }

        /// The writer probe's lease makes the kernel send SIGIO when a writer opens the file at that instant:
        /// the worker must survive it.
        @Test func aWorkerIgnoresSIGIO() throws {
            let s = try TestSpool()
            let w = try s.startWorker()
            #expect(s.wait(timeout: 20) { w.logText.contains("worker started") })
            w.kill(SIGIO)
            try s.drop("after-sigio.yaml", "steps:\n  - run: \"true\"\n")
            #expect(s.wait(timeout: 20) { !s.jobFiles(s.done).isEmpty }, "log:\n\(w.logText)")
            #expect(w.process.isRunning)
        }

        /// A job file changed after the run read it: the run executed something other than what done/ would
        /// record, so it fails with that reason. `started` records what was read.
        @Test func aJobFileChangedWhileRunningFailsTheRun() throws {
            let s = try TestSpool()
            let text = "steps:\n  - run: echo '# edited' >> \"$AGENT_RUNNER_SPOOL/cur/$AGENT_RUNNER_RUN_ID.yaml\"\n"
            try s.drop("self-editing.yaml", text)
            #expect(try s.drain() == 0)
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "failed")
            #expect(ev.last?["reason"] as? String == "job file changed while running")
            let started = try #require(ev.first { $0["type"] as? String == "started" })
            #expect(started["job_bytes"] as? Int == text.utf8.count)
            #expect(started["job_sha256"] as? String == SHA256.hex(Array(text.utf8)))
        }

        /// ENOSPC while creating the workspace passes like a failed event write: requeued with a backoff,
        /// and the next attempt succeeds once there is room. The workspace is on a tmpfs with no inodes left.
        @Test(.enabled(if: TmpfsMount.available, "needs root to mount a small tmpfs"))
        func aFullDiskWhileCreatingTheWorkspaceRequeuesTheRun() throws {
            let s = try TestSpool()
            let full = try TmpfsMount(at: s.root + "/../full", inodes: 4)
            try s.drop("room.yaml", "workspace: ../full/ws\nsteps:\n  - run: pwd\n")
            let w = try s.startWorker()
            let sawRequeue = s.wait(timeout: 30) {
                ((try? String(contentsOfFile: "\(s.new)/\(s.runIDs(in: s.new).first ?? "x").events.jsonl", encoding: .utf8)) ?? "")
                    .contains("\"disk-full\"")
                || (s.runIDs(in: s.cur).first.map { (try? String(contentsOfFile: "\(s.cur)/\($0).events.jsonl", encoding: .utf8)) ?? "" }?
                    .contains("\"disk-full\"") ?? false)
            }
            #expect(sawRequeue, "log:\n\(w.logText)")
            try full.freeOne()
            #expect(s.wait(timeout: 30) { !s.jobFiles(s.done).isEmpty }, "log:\n\(w.logText)")
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "succeeded")
            #expect(ev.contains { $0["type"] as? String == "requeued" && $0["reason"] as? String == "disk-full" })
            #expect(ev.contains { $0["type"] as? String == "error" && $0["retry_in"] != nil })
        }

        /// With a relative `--spool`, `started` still names the workspace by its absolute path.
        @Test func aRelativeSpoolStillGivesAnAbsoluteWorkspace() throws {
            let s = try TestSpool()
            try s.drop("where.yaml", "steps:\n  - run: \"true\"\n")
            let parent = URL(fileURLWithPath: s.root).deletingLastPathComponent()
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Binary.path)
            p.arguments = ["worker", "--drain", "--spool", "spool"]
            p.currentDirectoryURL = parent
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "succeeded")
            let workspace = try #require(ev.first { $0["type"] as? String == "started" }?["workspace"] as? String)
            #expect(workspace.hasPrefix("/") && workspace.hasSuffix("/spool/workspaces/\(run)"), "\(workspace)")
        }

        /// A torn line in the middle of a log (a write cut short by ENOSPC): `tail` skips it with a warning
        /// and prints every whole event.
        @Test func tailSkipsATornLineWithAWarning() throws {
            let s = try TestSpool()
            try s.drop("torn.yaml", "steps:\n  - run: echo hi\n")
            #expect(try s.drain() == 0)
            let run = try #require(s.runIDs(in: s.done).first)
            let path = "\(s.done)/\(run).events.jsonl"
            var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
            let whole = lines.count
            lines.insert("{\"ts\":\"2026-12-03T08:", at: 2)
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            let r = try s.run(["tail", run])
            #expect(r.status == 0, "\(r.stderr)")
            let printed = r.stdout.split(separator: "\n")
            #expect(printed.count == whole)
            #expect(printed.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
            #expect(r.stderr.contains("skipping a line"), "\(r.stderr)")
        }
    }
}

/// A tmpfs with a fixed number of inodes, all used up by filler files; unmounted when released.
final class TmpfsMount {
    let path: String
    private var fillers: [String] = []

    static let available: Bool = {
        guard getuid() == 0 else { return false }
        let dir = NSTemporaryDirectory() + "/ar-tmpfs-probe-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ok = (try? TestSpool.shell("mount -t tmpfs -o size=64k,nr_inodes=4 tmpfs \(dir) && echo ok")) == "ok\n"
        if ok { _ = try? TestSpool.shell("umount \(dir)") }
        return ok
    }()

    init(at path: String, inodes: Int) throws {
        self.path = URL(fileURLWithPath: path).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: self.path, withIntermediateDirectories: true)
        guard try TestSpool.shell("mount -t tmpfs -o size=1m,nr_inodes=\(inodes) tmpfs \(self.path) && echo ok") == "ok\n" else {
            throw TestFailure("cannot mount a tmpfs at \(self.path)")
        }
        for i in 0..<inodes {
            let f = "\(self.path)/filler-\(i)"
            guard FileManager.default.createFile(atPath: f, contents: nil) else { break }
            fillers.append(f)
        }
        guard mkdir("\(self.path)/probe", 0o755) != 0 && errno == ENOSPC else {
            throw TestFailure("the tmpfs at \(self.path) still has free inodes")
        }
    }

    func freeOne() throws {
        guard let f = fillers.popLast() else { throw TestFailure("no filler left") }
        try FileManager.default.removeItem(atPath: f)
    }

    deinit { _ = try? TestSpool.shell("umount -l \(path)") }
}
