import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The cgroup hierarchy a worker can put its steps in: cgroup v2 (`cgroup.freeze`, `cgroup.kill`), else a
/// v1 freezer. Step cgroups live in `MOUNT/OWN-CGROUP/agent-runner/`, below the worker's own cgroup.
struct CgroupHierarchy: Sendable {
    enum Version: Int, Sendable { case v1 = 1, v2 = 2 }
    let version: Version
    let base: String

    /// Found once per process; nil when neither hierarchy is mounted or the worker may not create a folder there.
    static let detected: CgroupHierarchy? = {
        let mounts = readText("/proc/self/mountinfo") ?? ""
        let own = readText("/proc/self/cgroup") ?? ""
        for version in [Version.v2, .v1] {
            guard let mount = mountPoint(version, in: mounts), let path = ownPath(version, in: own) else { continue }
            let base = mount + (path == "/" ? "" : path) + "/agent-runner"
            if mkdir(base, 0o755) == 0 || errno == EEXIST {
                return CgroupHierarchy(version: version, base: base)
            }
        }
        return nil
    }()

    /// The mount point of a `cgroup2` file system, or of the v1 one with the freezer controller.
    static func mountPoint(_ version: Version, in mountinfo: String) -> String? {
        for line in mountinfo.split(separator: "\n") {
            // "id parent major:minor root mountpoint options … - fstype source superoptions"
            let halves = line.split(separator: " - ", maxSplits: 1)
            guard halves.count == 2 else { continue }
            let fields = halves[0].split(separator: " "), tail = halves[1].split(separator: " ")
            guard fields.count >= 5, tail.count >= 3, fields[3] == "/" else { continue }
            switch version {
            case .v2 where tail[0] == "cgroup2": return String(fields[4])
            case .v1 where tail[0] == "cgroup" && tail[2].split(separator: ",").contains("freezer"): return String(fields[4])
            default: continue
            }
        }
        return nil
    }

    /// This process's cgroup in that hierarchy, from `/proc/self/cgroup` ("0::/path", "6:freezer:/path").
    static func ownPath(_ version: Version, in text: String) -> String? {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if version == .v2 && parts[0] == "0" && parts[1].isEmpty { return String(parts[2]) }
            if version == .v1 && parts[1].split(separator: ",").contains("freezer") { return String(parts[2]) }
        }
        return nil
    }
}

/// One step's cgroup: made by the worker before the step starts, joined by the step's shell, frozen for pause,
/// killed and removed when the step ends. Its name carries the worker's pid and start time, so that a later
/// worker can tell a dead worker's leftovers (`sweepStale`) from a live one's.
final class StepCgroup: Sendable {
    let path: String
    let version: CgroupHierarchy.Version

    private static let counter = Atomic<Int>(0)

    private init(path: String, version: CgroupHierarchy.Version) {
        self.path = path
        self.version = version
    }

    /// A new empty cgroup for a step, or nil when this host gives the worker none (the step then relies on
    /// its process group and the supervisor).
    static func create(label: String, in hierarchy: CgroupHierarchy? = CgroupHierarchy.detected) -> StepCgroup? {
        guard let hierarchy, let owner = ownerTag else { return nil }
        let n = counter.wrappingAdd(1, ordering: .relaxed).newValue
        let safe = String(label.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }.prefix(80))
        let path = "\(hierarchy.base)/\(safe).\(owner).\(n)"
        guard mkdir(path, 0o755) == 0 else { return nil }
        let cgroup = StepCgroup(path: path, version: hierarchy.version)
        // A v2 kernel older than 5.2 has no cgroup.freeze: such a cgroup could neither pause nor stop the tree.
        if hierarchy.version == .v2 && access(path + "/cgroup.freeze", W_OK) != 0 {
            rmdir(path)
            return nil
        }
        return cgroup
    }

    /// Pause: every process in the cgroup, whatever its session or process group, stops being scheduled.
    func freeze() { _ = writeText(version == .v2 ? "cgroup.freeze" : "freezer.state", version == .v2 ? "1" : "FROZEN") }

    func thaw() { _ = writeText(version == .v2 ? "cgroup.freeze" : "freezer.state", version == .v2 ? "0" : "THAWED") }

    /// The pids in `cgroup.procs` (empty once the folder is gone).
    var members: [Int32] {
        (readText(path + "/cgroup.procs") ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    /// SIGKILL to every member: `cgroup.kill` where the kernel has it (5.14+), else one by one; then thaw,
    /// because a frozen v1 task dies only once thawed.
    func killAll() {
        if version != .v2 || !writeText("cgroup.kill", "1") {
            for pid in members where pid > 1 { _ = kill(pid, SIGKILL) }
        }
        thaw()
    }

    /// Kills whatever is left, waits (at most `timeout` seconds) until the cgroup is empty, and removes it.
    /// `rmdir` fails on a cgroup that still has members, so a live process is never orphaned from its cgroup.
    @discardableResult
    func remove(timeout: Double = 5) -> Bool {
        let deadline = monotonicSeconds() + timeout
        while true {
            if rmdir(path) == 0 || errno == ENOENT { return true }
            if monotonicSeconds() > deadline { return false }
            killAll()
            usleep(5_000)
        }
    }

    private func writeText(_ file: String, _ text: String) -> Bool {
        let fd = open(path + "/" + file, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return text.withCString { write(fd, $0, strlen($0)) } >= 0
    }

    /// "PID-STARTTIME" of this process.
    static let ownerTag: String? = ProcStat(pid: getpid()).map { "\(getpid())-\($0.startTime)" }

    /// Kills and removes the step cgroups of workers that are no longer running (SIGKILLed together with their
    /// supervisors). Cgroups of live workers, this one included, are left alone.
    static func sweepStale(in hierarchy: CgroupHierarchy? = CgroupHierarchy.detected) {
        guard let hierarchy, let dir = opendir(hierarchy.base) else { return }
        var stale: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let parts = name.split(separator: ".")
            guard parts.count >= 3 else { continue }
            let owner = parts[parts.count - 2].split(separator: "-")
            guard owner.count == 2, let pid = Int32(owner[0]), let start = UInt64(owner[1]) else { continue }
            if ProcStat(pid: pid)?.startTime != start { stale.append(name) }
        }
        closedir(dir)
        for name in stale {
            StepCgroup(path: hierarchy.base + "/" + name, version: hierarchy.version).remove(timeout: 2)
        }
    }
}

func readText(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 16384)
    while true {
        let n = read(fd, &buf, buf.count)
        if n <= 0 { break }
        bytes += buf[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
