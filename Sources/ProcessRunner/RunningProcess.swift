import CProcess
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One step's process tree: `/bin/sh -c COMMAND` spawned as the leader of a new process group, under a
/// supervisor process when `spec.supervisor` names one.
///
/// - stdin is `/dev/null`; stdout and stderr append to files (never pipes, so a flood cannot block it).
/// - On timeout or `terminate()`, the whole tree gets SIGTERM (and SIGCONT, in case it is paused), then
///   SIGKILL after `killGrace` if anything in it is still alive.
/// - When the shell exits, processes it left behind (`sleep 300 &`) get the same SIGTERM → SIGKILL
///   treatment before the result is delivered. Without a supervisor only the process group gets it, so a
///   grandchild that calls `setsid` escapes; the supervisor, a child subreaper, inherits and ends those too.
/// - With a supervisor, the step also gets its own cgroup where the host allows (`StepCgroup`), and the
///   tree dies with the worker (the supervisor's parent-death signal).
/// - `pause()` / `resume()` send SIGSTOP / SIGCONT to the group and freeze / thaw the cgroup.
public final class RunningProcess: Sendable {
    /// The shell's pid, which is also its process group id.
    public let pid: Int32
    /// The supervisor's pid, when the step runs under one.
    public let supervisor: Int32?
    /// The step's cgroup path, when it has one.
    public var cgroupPath: String? { cgroup?.path }
    private let cgroup: StepCgroup?
    private let spec: ProcessSpec
    private let slot: ResultSlot

    private init(pid: Int32, supervisor: Int32?, cgroup: StepCgroup?, spec: ProcessSpec, slot: ResultSlot) {
        self.pid = pid
        self.supervisor = supervisor
        self.cgroup = cgroup
        self.spec = spec
        self.slot = slot
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

        let slot = ResultSlot(spec: spec)
        let process: RunningProcess
        if let executable = spec.supervisor {
            StepCgroup.sweepStale()
            let cgroup = StepCgroup.create(label: spec.label)
            let grace = spec.killGrace
            let launched: (shell: pid_t, supervisor: pid_t)
            do {
                launched = try Launch.supervised(spec, executable: executable, out: out, err: err, cgroup: cgroup) { shell, status in
                    // The supervisor has normally ended the tree already; this covers its own death.
                    cgroup?.killAll()
                    RunningProcess.reapGroup(shell, grace: grace)
                    cgroup?.remove()
                    slot.finish(status: status)
                }
            } catch {
                cgroup?.remove()
                throw error
            }
            process = RunningProcess(pid: launched.shell, supervisor: launched.supervisor, cgroup: cgroup, spec: spec, slot: slot)
        } else {
            let pid = try Launch.direct(spec, out: out, err: err)
            process = RunningProcess(pid: pid, supervisor: nil, cgroup: nil, spec: spec, slot: slot)
            let thread = WaiterThread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                RunningProcess.reapGroup(pid, grace: spec.killGrace)
                slot.finish(status: status)
            }
            if !thread.start() { DispatchQueue.global().async { thread.runInline() } }
        }
        if let timeout = spec.timeout {
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [weak process] in
                process?.terminateGroup(timedOut: true)
            }
        }
        return process
    }

    /// SIGSTOP to the group, and the cgroup frozen: every process of the step stops where it is.
    public func pause() {
        if slot.isFinished { return }
        _ = kill(-pid, SIGSTOP)
        guard let cgroup else { return }
        // A task frozen before it was scheduled to take the SIGSTOP stays frozen with the signal pending
        // (state S, not T) until the thaw: on a busy host, give the leader a moment to stop first.
        let until = monotonicSeconds() + 0.05
        while let st = ProcStat(pid: pid), st.state != "T", st.isLive, monotonicSeconds() < until { usleep(1000) }
        cgroup.freeze()
    }

    /// The cgroup thawed, and SIGCONT to the group.
    public func resume() {
        if slot.isFinished { return }
        cgroup?.thaw()
        _ = kill(-pid, SIGCONT)
    }

    /// Ends the tree: SIGTERM (plus SIGCONT), then SIGKILL after `killGrace`.
    public func terminate() { terminateGroup(timedOut: false) }

    /// The result, once the shell has exited and its tree is gone. May be awaited any number of times.
    public func wait() async -> ProcessResult { await slot.wait() }

    /// Non-blocking: the result if the process has finished.
    public var result: ProcessResult? { slot.result }

    // MARK: internals

    func terminateGroup(timedOut: Bool) {
        guard slot.markTerminating(timedOut: timedOut) else { return }
        let grace = spec.killGrace
        if let supervisor {
            // The supervisor does TERM, grace, KILL for the whole tree; if it has not finished well after
            // that, it is stuck or stopped, and the worker kills what it can reach itself.
            _ = kill(supervisor, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + grace + 5) { [pid, cgroup, slot] in
                guard !slot.isFinished else { return }
                _ = kill(-pid, SIGKILL)
                cgroup?.killAll()
                _ = kill(supervisor, SIGKILL)
            }
            return
        }
        _ = kill(-pid, SIGTERM)
        _ = kill(-pid, SIGCONT)
        DispatchQueue.global().asyncAfter(deadline: .now() + grace) { [pid] in
            _ = kill(-pid, SIGKILL)
        }
    }

/// After the leader exited: SIGTERM whatever is left in its group, SIGKILL after `grace`.
    static func reapGroup(_ pgid: Int32, grace: Double) {
        guard pgid > 1, groupHasLiveMembers(pgid) else { return }
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
        return ProcStat.allPIDs().contains { pid in
            ProcStat(pid: pid).map { $0.pgrp == pgid && $0.isLive } ?? false
        }
    }
}

/// Seconds on CLOCK_MONOTONIC: for timeouts and durations, never for wall-clock time.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Where the result of one process ends up, shared by the process object, its waiter thread and timers.
final class ResultSlot: Sendable {
    private struct State {
        var timedOut = false
        var terminated = false
        var killScheduled = false
        var result: ProcessResult?
        var waiters: [CheckedContinuation<ProcessResult, Never>] = []
    }

    private let state = Mutex(State())
    private let spec: ProcessSpec
    private let started = monotonicSeconds()

    init(spec: ProcessSpec) { self.spec = spec }

    var result: ProcessResult? { state.withLock { $0.result } }
    var isFinished: Bool { result != nil }

    /// Records why the process is being ended; true the first time only (when the kill must be scheduled).
    func markTerminating(timedOut: Bool) -> Bool {
        state.withLock { s in
            if s.result != nil { return false }
            if timedOut { s.timedOut = true } else { s.terminated = true }
            if s.killScheduled { return false }
            s.killScheduled = true
            return true
        }
    }

    /// Turns the shell's wait status into the result and wakes every waiter.
    func finish(status: Int32) {
        let duration = monotonicSeconds() - started
        let exited = (status & 0x7F) == 0
        let (result, waiters): (ProcessResult, [CheckedContinuation<ProcessResult, Never>]) = state.withLock { s in
            let r = ProcessResult(exitCode: exited ? (status >> 8) & 0xFF : nil, signal: exited ? nil : status & 0x7F,
                                  timedOut: s.timedOut, terminated: s.terminated, duration: duration, timeout: spec.timeout)
            s.result = r
            defer { s.waiters = [] }
            return (r, s.waiters)
        }
        for w in waiters { w.resume(returning: result) }
    }

    func wait() async -> ProcessResult {
        await withCheckedContinuation { continuation in
            let ready: ProcessResult? = state.withLock { s in
                if let r = s.result { return r }
                s.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
