import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Looks at step processes from the outside, through /proc.
public enum StepProcesses {
    /// Live processes (zombies excluded) whose environment holds `AGENT_RUNNER_RUN_ID=run`: a step's shell,
    /// its supervisor and everything they started, whatever session or process group they moved to.
    public static func of(run: String) -> [Int32] {
        let marker = Array("AGENT_RUNNER_RUN_ID=\(run)".utf8)
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        return pids.filter { pid in
            guard isLive(pid), let env = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return env.split(separator: 0).contains { Array($0) == marker }
        }
    }

    public static func state(_ pid: Int32) -> String {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return String(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).prefix(1) ?? "?")
    }

    public static func isLive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 && !["Z", "X", "?"].contains(state(pid))
    }

    /// True when `pid` is stopped (SIGSTOP) or in a frozen cgroup (v2 `cgroup.events`, v1 `freezer.state`).
    public static func isStoppedOrFrozen(_ pid: Int32) -> Bool {
        if state(pid) == "T" { return true }
        let lines = ((try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? "").split(separator: "\n")
        for line in lines {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3 else { continue }
            if parts[0] == "0" {
                for mount in ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"] {
                    let events = (try? String(contentsOfFile: mount + parts[2] + "/cgroup.events", encoding: .utf8)) ?? ""
                    if events.contains("frozen 1") { return true }
                }
            } else if parts[1].split(separator: ",").contains("freezer") {
                let state = (try? String(contentsOfFile: "/sys/fs/cgroup/freezer" + parts[2] + "/freezer.state", encoding: .utf8)) ?? ""
                if state.hasPrefix("FROZEN") { return true }
            }
        }
        return false
    }

    public static func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    public static func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}
