import Foundation
import Testing
import TestSupport

/// Why faketime cannot be used here, or nil when it can.
let faketimeUnavailableReason: String? =
    FileManager.default.isExecutableFile(atPath: "/usr/bin/faketime") ? nil : "faketime is not installed (scripts/deps.sh --test installs it)"

/// Why time namespaces (`unshare --time`, Linux 5.6+, root) cannot be used here, or nil when they can.
let timeNamespaceUnavailableReason: String? = {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return "unshare is not installed (util-linux)" }
    let status = Bindfs.spawnAndWait(["/bin/sh", "-c", "exec /usr/bin/unshare --time --monotonic 1 true 2>/dev/null"])
    return status == 0 ? nil : "unshare --time does not work here (needs root and a kernel with time namespaces)"
}()

/// Why no step cgroups can be made here (the worker then runs steps without them), or nil when they can.
let stepCgroupUnavailableReason: String? = {
    for dir in ["/sys/fs/cgroup/unified", "/sys/fs/cgroup/freezer", "/sys/fs/cgroup"]
    where FileManager.default.fileExists(atPath: dir + "/cgroup.procs") && access(dir, W_OK) == 0 {
        return nil
    }
    return "no writable cgroup hierarchy (needs root and cgroup v2 or the v1 freezer)"
}()

extension Integration {
    /// Leases, heartbeats and staleness under a local clock that disagrees with the file system's. Every
    /// worker here runs a 6 s step with a 3 s lease: two leases' worth of heartbeats must all arrive.
    @Suite struct Clocks {
        static let config = TestSpool.config(lease: "3s", poll: "300ms")

        /// How libfaketime fakes the clocks.
        enum Faking: String, CaseIterable, Sendable {
            /// What a host with a wrong wall clock looks like: CLOCK_MONOTONIC is right, and the kernel (or the
            /// NFS server) stamps `futimens(fd, NULL)` with the file system's time, not the worker's.
            case wallClockOnly
            /// libfaketime's defaults: CLOCK_MONOTONIC is shifted too, and NULL times in `futimens` and
            /// `utimensat` are replaced by the faked time.
            case defaults

            var env: [String: String] {
                switch self {
                case .wallClockOnly: ["FAKETIME_DONT_FAKE_MONOTONIC": "1", "FAKE_UTIME": "1"]
                case .defaults: [:]
                }
            }
        }

        /// A worker whose clock is behind by 10 s or an hour once reaped its own run 3 s after claiming it:
        /// its lease was renewed from a Task.sleep timer whose absolute deadline libfaketime shifted by the
        /// offset, so no heartbeat came for 10 s (or an hour). Leases are now renewed on CLOCK_MONOTONIC.
        @Test(.enabled(if: faketimeUnavailableReason == nil, "\(faketimeUnavailableReason ?? "")"),
              arguments: [("-10s", Faking.wallClockOnly), ("-1h", .wallClockOnly), ("+1h", .wallClockOnly), ("-1h", .defaults)])
        func workerWithASkewedClockKeepsItsRun(offset: String, faking: Faking) throws {
            let s = try TestSpool(config: Clocks.config)
            // `faketime` forks the worker and waits for it: signals go to the worker's own pid (from its status file).
            let w = try s.startWrapped(["/usr/bin/faketime", "-f", offset], env: faking.env)
            try expectSixSecondRunSucceedsOnce(s, w, pid: { s.workerPid })
        }

        /// Time namespaces offset CLOCK_MONOTONIC and CLOCK_BOOTTIME (never CLOCK_REALTIME): every timer of
        /// the worker is relative, so a monotonic clock a million seconds ahead, or 1000 s behind, changes nothing.
        @Test(.enabled(if: timeNamespaceUnavailableReason == nil, "\(timeNamespaceUnavailableReason ?? "")"),
              arguments: ["1000000", "-1000"])
        func monotonicOffsetsAreHarmless(offset: String) throws {
            let s = try TestSpool(config: Clocks.config)
            // Without --fork, unshare enters the namespace itself (time_for_children) and execs the worker.
            let w = try s.startWrapped(["/usr/bin/unshare", "--time", "--monotonic", offset, "--boottime", offset])
            try expectSixSecondRunSucceedsOnce(s, w)
        }

        /// A worker in a time namespace with a boottime offset sees every process's start time shifted by that
        /// offset, and its step cgroups are named after its pid and start time: every other worker on the host
        /// once took them for a dead worker's leftovers and killed the steps in them (and the other way round).
        @Test(.enabled(if: timeNamespaceUnavailableReason == nil && stepCgroupUnavailableReason == nil,
                       "\(timeNamespaceUnavailableReason ?? stepCgroupUnavailableReason ?? "")"),
              arguments: [true, false])
        func workersInDifferentTimeNamespacesLeaveEachOthersStepsAlone(longRunInNamespace: Bool) throws {
            let namespace = ["/usr/bin/unshare", "--time", "--boottime", "1000000"]
            let long = try TestSpool(config: Clocks.config), other = try TestSpool(config: Clocks.config)
            let w = try longRunInNamespace ? long.startWrapped(namespace) : long.startWorker()
            try long.drop("long.yaml", "steps:\n  - run: sleep 4\n")
            #expect(long.wait(timeout: 20) {
                long.runIDs(in: long.cur).contains { ((try? long.types($0, in: long.cur)) ?? []).contains("step.started") }
            }, "the long step started; log:\n\(w.logText)")
            // The other worker sweeps stale step cgroups when it starts and before its step.
            try other.drop("quick.yaml", "steps:\n  - run: \"true\"\n")
            if longRunInNamespace {
                #expect(try other.drain() == 0)
            } else {
                let sweeper = try other.startWrapped(namespace)
                #expect(other.wait(timeout: 30) { other.runIDs(in: other.done).count == 1 }, "log:\n\(sweeper.logText)")
                sweeper.kill(SIGTERM)
                #expect(sweeper.waitForExit(timeout: 20))
            }
            #expect(long.wait(timeout: 30) { long.runIDs(in: long.done).count == 1 }, "log:\n\(w.logText)")
            w.kill(SIGTERM)
            let run = try #require(long.runIDs(in: long.done).first)
            try long.checkFinished(run, status: "succeeded")
        }

        func expectSixSecondRunSucceedsOnce(_ s: TestSpool, _ w: WorkerProcess, pid: () -> Int32? = { nil },
                                            sourceLocation: SourceLocation = #_sourceLocation) throws {
            try s.drop("six.yaml", "steps:\n  - run: sleep 6\n")
            #expect(s.wait(timeout: 60) { s.runIDs(in: s.done).count == 1 }, "the run finished; log:\n\(w.logText)",
                    sourceLocation: sourceLocation)
            if let worker = pid() { kill(worker, SIGTERM) } else { w.kill(SIGTERM) }
            #expect(w.waitForExit(timeout: 20), sourceLocation: sourceLocation)
            let run = try #require(s.runIDs(in: s.done).first, sourceLocation: sourceLocation)
            let ev = try s.checkFinished(run, status: "succeeded", sourceLocation: sourceLocation)
            #expect(!ev.contains { $0["type"] as? String == "requeued" }, "requeued: \(ev)", sourceLocation: sourceLocation)
            #expect(ev.filter { $0["type"] as? String == "claimed" }.map { $0["attempt"] as? Int } == [1], sourceLocation: sourceLocation)
            // Durations come from the monotonic clock, whatever the wall clock says.
            let duration = ev.last?["duration"] as? Double ?? -1
            #expect(duration >= 5.9 && duration < 60, "duration \(duration)", sourceLocation: sourceLocation)
            #expect(!w.logText.contains("lost the lease"), "\(w.logText)", sourceLocation: sourceLocation)
            #expect(!w.logText.contains("lease expired"), "\(w.logText)", sourceLocation: sourceLocation)
            s.expectCurEmpty(sourceLocation: sourceLocation)
        }
    }
}

extension TestSpool {
    /// The pid in the (only) worker's `workers/ACTOR.json`.
    var workerPid: Int32? {
        for name in names(root + "/workers") where name.hasSuffix(".json") && !name.hasPrefix(".") {
            guard let data = FileManager.default.contents(atPath: root + "/workers/" + name),
                  let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let pid = o["pid"] as? Int else { continue }
            return Int32(pid)
        }
        return nil
    }

    /// Starts `agent-runner worker` on this spool through a wrapper command (`unshare`, `faketime`).
    func startWrapped(_ wrapper: [String], env: [String: String] = [:]) throws -> WorkerProcess {
        let log = URL(fileURLWithPath: root).deletingLastPathComponent().path + "/worker-\(UUID().uuidString.prefix(8)).log"
        return try WorkerProcess(args: [], env: env, log: log, executable: wrapper[0],
                                 arguments: Array(wrapper.dropFirst()) + [Binary.path, "worker", "--spool", root, "--log-level", "debug"])
    }
}
