import Foundation
import Testing
import TestSupport

/// Is FUSE usable here? Mounts a scratch bindfs once; nil when it works, else why not.
let fuseUnavailableReason: String? = {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/bindfs") else { return "bindfs is not installed (apt-get install bindfs fuse3)" }
    guard FileManager.default.fileExists(atPath: "/dev/fuse") else { return "/dev/fuse does not exist in this environment" }
    let base = NSTemporaryDirectory() + "/ar-fuse-probe-\(getpid())"
    try? FileManager.default.createDirectory(atPath: base + "/src", withIntermediateDirectories: true)
    try? FileManager.default.createDirectory(atPath: base + "/mnt", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: base) }
    let mounted = Bindfs.mount(base + "/src", base + "/mnt")
    guard mounted == nil else { return "bindfs cannot mount here: \(mounted!)" }
    Bindfs.unmount(base + "/mnt")
    return nil
}()

enum Bindfs {
    /// Mounts with bindfs, which forks a daemon and exits. Spawned and reaped with posix_spawn/waitpid:
    /// Foundation's Process did not notice this child's exit here. Output goes to a file, never a pipe
    /// that the daemon would hold open.
    static func mount(_ src: String, _ mnt: String) -> String? {
        let errFile = mnt + ".bindfs-stderr"
        let status = spawnAndWait(["/bin/sh", "-c", "exec /usr/bin/bindfs --no-allow-other \"$1\" \"$2\" </dev/null >/dev/null 2>\"$3\"",
                                   "sh", src, mnt, errFile])
        let err = (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: errFile)
        return status == 0 ? nil : "bindfs exited with \(status): \(err)"
    }

    static func spawnAndWait(_ argv: [String]) -> Int32 {
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, argv[0], nil, nil, &cArgs, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// Two bindfs mounts of `root`, `mount-a` and `mount-b` beside it; the caller unmounts them.
    static func mountTwice(_ root: String) throws -> (a: String, b: String) {
        let parent = URL(fileURLWithPath: root).deletingLastPathComponent().path
        let (a, b) = (parent + "/mount-a", parent + "/mount-b")
        for m in [a, b] {
            try FileManager.default.createDirectory(atPath: m, withIntermediateDirectories: true)
            if let error = mount(root, m) { throw TestFailure("cannot mount \(m): \(error)") }
        }
        return (a, b)
    }

    static func unmount(_ mnt: String) {
        for tool in ["/usr/bin/fusermount3", "/usr/bin/fusermount"] where FileManager.default.isExecutableFile(atPath: tool) {
            if spawnAndWait([tool, "-u", "-z", mnt]) == 0 { return }
        }
        _ = spawnAndWait(["/bin/umount", "-l", mnt])
    }
}

extension Integration {
    @Suite struct Watching {
        /// 20,000 files at once overflow inotify's default queue (16,384 events). The overflow triggers a
        /// full rescan; polling is set to a minute so that it cannot be what finds them.
        @Test func inotifyOverflowTriggersARescan() throws {
            let s = try TestSpool(config: "poll_interval: 60s\nsettle: 0s\ndurability: none\n")
            let w = try s.startWorker(["--concurrency", "8"])
            #expect(s.wait(timeout: 10) { !s.names(s.root + "/workers").isEmpty }, "worker is up")
            let n = 20_000
            // A worker busy elsewhere (here: stopped) while the burst lands, as on a loaded machine.
            w.kill(SIGSTOP)
            for i in 0..<n { try s.drop("burst-\(i).yaml", "steps: []\n") }
            w.kill(SIGCONT)
            #expect(s.wait(timeout: 50) { s.jobFiles(s.new).isEmpty }, "all claimed well before the next poll (\(s.jobFiles(s.new).count) left)")
            #expect(s.wait(timeout: 120) { s.runIDs(in: s.done).count == n })
            w.kill(SIGTERM)
            #expect(w.waitForExit(timeout: 30))
            #expect(w.logText.contains("IN_Q_OVERFLOW"), "the overflow was noticed")
            #expect(s.runIDs(in: s.done).count == n)
            s.expectCurEmpty()
        }

        @Test func pollOnlyModeFindsJobs() throws {
            let s = try TestSpool(config: "poll_interval: 300ms\nsettle: 0s\n")
            let w = try s.startWorker(["--watch", "poll"])
            Thread.sleep(forTimeInterval: 0.5)
            try s.drop("polled.yaml", "steps: []\n")
            #expect(s.wait(timeout: 10) { s.runIDs(in: s.done).count == 1 })
            w.kill(SIGTERM)
            #expect(w.waitForExit(timeout: 20))
        }

        /// Two bindfs (FUSE) mounts of one spool behave like two NFS clients: inotify on mount A does not see
        /// writes made through mount B. Polling must find them, and claims from both mounts stay exactly-once.
        @Test(.enabled(if: fuseUnavailableReason == nil, "FUSE unavailable: \(fuseUnavailableReason ?? "")"))
        func secondHostThatInotifyCannotSee() throws {
            let s = try TestSpool(config: "poll_interval: 500ms\nsettle: 0s\nlease: 5s\n")
            let (a, b) = try Bindfs.mountTwice(s.root)
            defer { Bindfs.unmount(a); Bindfs.unmount(b) }
            let viaB = try TestSpool(config: "poll_interval: 500ms\nsettle: 0s\nlease: 5s\n", root: b)

            // One worker on A; a job written through B reaches it only by polling.
            let wa = try s.startWorker(["--concurrency", "4"], spoolPath: a)
            Thread.sleep(forTimeInterval: 1)
            let dropped = Date()
            try viaB.drop("from-b.yaml", "steps: []\n")
            #expect(s.wait(timeout: 5) { s.runIDs(in: s.done).count == 1 }, "picked up by polling")
            let latency = Date().timeIntervalSince(dropped)
            #expect(latency < 0.5 * 3, "claimed within the poll interval (took \(latency)s)")

            // A second worker on B; 400 jobs written through both mounts.
            let wb = try viaB.startWorker(["--concurrency", "4"], spoolPath: b)
            let viaA = try TestSpool(config: "poll_interval: 500ms\nsettle: 0s\nlease: 5s\n", root: a)
            for i in 0..<200 {
                try viaA.drop("a-\(i).yaml", "steps: []\n")
                try viaB.drop("b-\(i).yaml", "steps: []\n")
            }
            #expect(s.wait(timeout: 120) { s.runIDs(in: s.done).count == 401 })
            for w in [wa, wb] { w.kill(SIGTERM); #expect(w.waitForExit(timeout: 30)) }
            var names: [String: Int] = [:]
            var byWorker: [String: Int] = [:]
            for run in s.runIDs(in: s.done) {
                let ev = try s.checkFinished(run, status: "succeeded")
                #expect(ev.filter { $0["type"] as? String == "claimed" }.count == 1)
                names[ev.first { $0["type"] as? String == "queued" }?["name"] as? String ?? "", default: 0] += 1
                byWorker[ev.first { $0["type"] as? String == "claimed" }?["worker"] as? String ?? "", default: 0] += 1
            }
            #expect(names.count == 401 && names.values.allSatisfy { $0 == 1 })
            #expect(byWorker.count == 2, "both workers claimed: \(byWorker)")
            s.expectCurEmpty()
        }
    }
}
