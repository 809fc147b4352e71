import CProcess
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One step's process group: `/bin/sh -c COMMAND` spawned as the leader of a new group.
///
/// - stdin is `/dev/null`; stdout and stderr append to files (never pipes, so a flood cannot block it).
/// - On timeout or `terminate()`, the whole group gets SIGTERM (and SIGCONT, in case it is paused), then
///   SIGKILL after `killGrace` if anything in it is still alive.
/// - When the leader exits, members it left behind (`sleep 300 &`) get the same SIGTERM → SIGKILL
///   treatment before the result is delivered, so a step never leaves processes running. A grandchild
///   that calls `setsid` has left the group and escapes this; so does one started by a daemonising tool.
/// - `pause()` / `resume()` send SIGSTOP / SIGCONT to the group.
public final class RunningProcess: Sendable {
    public let pid: Int32
    private let spec: ProcessSpec
    private let started: Double
    private let state = Mutex(State())

    struct State {
        var timedOut = false
        var terminated = false
        var result: ProcessResult?
        var waiters: [CheckedContinuation<ProcessResult, Never>] = []
        var killScheduled = false
    }

    private init(pid: Int32, spec: ProcessSpec) {
        self.pid = pid
        self.spec = spec
        started = monotonicSeconds()
    }

    public static func spawn(_ spec: ProcessSpec) throws(ProcessError) -> RunningProcess {
        var st = stat()
        guard stat(spec.workingDirectory, &st) == 0 else {
            throw ProcessError(stage: .workingDirectory, errno: errno, path: spec.workingDirectory)
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw ProcessError(stage: .workingDirectory, errno: ENOTDIR, path: spec.workingDirectory)
        }
        let out = open(spec.stdoutPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard out >= 0 else { throw ProcessError(stage: .openOutput, errno: errno, path: spec.stdoutPath) }
        defer { close(out) }
        let err = open(spec.stderrPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard err >= 0 else { throw ProcessError(stage: .openOutput, errno: errno, path: spec.stderrPath) }
        defer { close(err) }

        let attrs = SpawnAttributes()
        attrs.configureProcessGroup()
        posix_spawn_file_actions_addopen(&attrs.actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&attrs.actions, out, 1)
        posix_spawn_file_actions_adddup2(&attrs.actions, err, 2)
        ar_spawn_addchdir(&attrs.actions, spec.workingDirectory)
        // Everything else the worker has open (leases, event logs, inotify) is O_CLOEXEC; close the rest too.
        _ = ar_spawn_addclosefrom(&attrs.actions, 3)

        let argv = CStringArray(["/bin/sh", "-c", spec.command])
        let envp = CStringArray(spec.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/sh", &attrs.actions, &attrs.attributes, argv.pointers, envp.pointers)
        guard rc == 0 else { throw ProcessError(stage: .spawn, errno: rc, path: "/bin/sh") }

        let process = RunningProcess(pid: pid, spec: spec)
        process.startWaiter()
        if let timeout = spec.timeout {
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [weak process] in
                process?.terminateGroup(timedOut: true)
            }
        }
        return process
    }

    /// SIGSTOP to the group: every process in it stops where it is.
    public func pause() { signalGroup(SIGSTOP) }

    /// SIGCONT to the group.
    public func resume() { signalGroup(SIGCONT) }

    /// Ends the group: SIGTERM (plus SIGCONT), then SIGKILL after `killGrace`.
    public func terminate() { terminateGroup(timedOut: false) }

    /// The result, once the leader has exited and its group is gone. May be awaited any number of times.
    public func wait() async -> ProcessResult {
        await withCheckedContinuation { continuation in
            let ready: ProcessResult? = state.withLock { s in
                if let r = s.result { return r }
                s.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Non-blocking: the result if the process has finished.
    public var result: ProcessResult? { state.withLock { $0.result } }

    // MARK: internals

    private func signalGroup(_ sig: Int32) {
        if state.withLock({ $0.result }) != nil { return }
        _ = kill(-pid, sig)
    }

    func terminateGroup(timedOut: Bool) {
        let schedule: Bool = state.withLock { s in
            if s.result != nil { return false }
            if timedOut { s.timedOut = true } else { s.terminated = true }
            if s.killScheduled { return false }
            s.killScheduled = true
            return true
        }
        guard schedule else { return }
        _ = kill(-pid, SIGTERM)
        _ = kill(-pid, SIGCONT)
        DispatchQueue.global().asyncAfter(deadline: .now() + spec.killGrace) { [pid] in
            _ = kill(-pid, SIGKILL)
        }
    }

    /// A thread that blocks in `waitpid` for the leader, then clears out the rest of its group.
    private func startWaiter() {
        let pid = self.pid
        let grace = spec.killGrace
        let thread = WaiterThread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let duration = monotonicSeconds() - started
            RunningProcess.reapGroup(pid, grace: grace)
            let exited = (status & 0x7F) == 0
            let finished: (ProcessResult, [CheckedContinuation<ProcessResult, Never>]) = state.withLock { s in
                let r = ProcessResult(exitCode: exited ? (status >> 8) & 0xFF : nil, signal: exited ? nil : status & 0x7F,
                                      timedOut: s.timedOut, terminated: s.terminated, duration: duration, timeout: spec.timeout)
                s.result = r
                let w = s.waiters
                s.waiters = []
                return (r, w)
            }
            for w in finished.1 { w.resume(returning: finished.0) }
        }
        thread.start()
    }

    /// After the leader exited: SIGTERM whatever is left in its group, SIGKILL after `grace`.
    static func reapGroup(_ pgid: Int32, grace: Double) {
        guard groupHasLiveMembers(pgid) else { return }
        _ = kill(-pgid, SIGTERM)
        _ = kill(-pgid, SIGCONT)
        let deadline = monotonicSeconds() + grace
        while monotonicSeconds() < deadline {
            usleep(10_000)
            if !groupHasLiveMembers(pgid) { return }
        }
        _ = kill(-pgid, SIGKILL)
    }

    /// True while a process other than a zombie is in the group. `kill(-pgid, 0)` alone counts zombies
    /// that their new parent has not reaped yet.
    static func groupHasLiveMembers(_ pgid: Int32) -> Bool {
        guard kill(-pgid, 0) == 0 else { return false }
        guard let dir = opendir("/proc") else { return true }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = Int32(name), let stat = ProcStat(pid: pid) else { continue }
            if stat.pgrp == pgid && stat.state != "Z" && stat.state != "X" { return true }
        }
        return false
    }
}

/// The fields of `/proc/PID/stat` this module needs.
struct ProcStat {
    var state: Character
    var pgrp: Int32

    init?(pid: Int32) {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 512)
        let n = read(fd, &buf, buf.count)
        guard n > 0 else { return nil }
        // "pid (comm) S ppid pgrp …": comm may hold spaces and parentheses, so split after the last ')'.
        guard let close = buf[0..<n].lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = buf[(close + 1)..<n].split(separator: UInt8(ascii: " "))
        guard fields.count > 3, let s = fields[0].first, let pgrp = Int32(String(decoding: fields[2], as: UTF8.self)) else { return nil }
        state = Character(UnicodeScalar(s))
        self.pgrp = pgrp
    }
}

/// A plain pthread for one blocking `waitpid`: it must not occupy a cooperative-pool thread.
final class WaiterThread: @unchecked Sendable {
    private let body: () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }

    func start() {
        let box = Unmanaged.passRetained(self)
        var tid = pthread_t()
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attr, 256 << 10)
        let rc = pthread_create(&tid, &attr, { raw in
            let me = Unmanaged<WaiterThread>.fromOpaque(raw!).takeRetainedValue()
            me.body()
            return nil
        }, box.toOpaque())
        pthread_attr_destroy(&attr)
        if rc != 0 {
            box.release()
            body()
        }
    }
}

/// Seconds on CLOCK_MONOTONIC: for timeouts and durations, never for wall-clock time.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
