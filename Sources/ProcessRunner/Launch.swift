import CProcess
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The two ways a step's shell is started: directly as a process group leader, or under the supervisor.
enum Launch {
    /// stdin `/dev/null`, stdout/stderr onto the step's files, the working directory, and (for the supervisor)
    /// its report pipe as fd 3; every other descriptor is closed.
    static func attributes(_ spec: ProcessSpec, out: Int32, err: Int32, report: Int32?) -> SpawnAttributes {
        let attrs = SpawnAttributes()
        attrs.configureProcessGroup()
        posix_spawn_file_actions_addopen(&attrs.actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&attrs.actions, out, 1)
        posix_spawn_file_actions_adddup2(&attrs.actions, err, 2)
        if let report { posix_spawn_file_actions_adddup2(&attrs.actions, report, StepSupervisor.reportFD) }
        ar_spawn_addchdir(&attrs.actions, spec.workingDirectory)
        // Everything else the worker has open (leases, event logs, inotify) is O_CLOEXEC; close the rest too.
        _ = ar_spawn_addclosefrom(&attrs.actions, report == nil ? 3 : StepSupervisor.reportFD + 1)
        return attrs
    }

    static func environment(_ spec: ProcessSpec) -> CStringArray {
        CStringArray(spec.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
    }

    /// `/bin/sh -c COMMAND` as the leader of a new process group; returns its pid.
    static func direct(_ spec: ProcessSpec, out: Int32, err: Int32) throws(ProcessError) -> pid_t {
        let attrs = attributes(spec, out: out, err: err, report: nil)
        let argv = CStringArray(["/bin/sh", "-c", spec.command])
        let envp = environment(spec)
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/sh", &attrs.actions, &attrs.attributes, argv.pointers, envp.pointers)
        guard rc == 0 else { throw ProcessError(stage: .spawn, errno: rc, path: "/bin/sh") }
        return pid
    }

    /// `EXECUTABLE supervise-step … -- /bin/sh -c COMMAND`, spawned from a dedicated thread that lives until the
    /// supervisor has been reaped: the parent-death signal fires when the spawning *thread* exits, so a pooled
    /// thread that retires would kill a healthy step. Returns once the supervisor has reported the shell's pid;
    /// `finished` gets the shell's wait status (or the supervisor's own, if it died without reporting).
    static func supervised(_ spec: ProcessSpec, executable: String, out: Int32, err: Int32, cgroup: StepCgroup?,
                           finished: @escaping @Sendable (_ shell: pid_t, _ status: Int32) -> Void) throws(ProcessError) -> (shell: pid_t, supervisor: pid_t) {
        var fds: [Int32] = [-1, -1]
        guard ar_pipe_cloexec(&fds) == 0 else { throw ProcessError(stage: .supervisor, errno: errno, path: executable) }
        var (readEnd, writeEnd) = (fds[0], fds[1])
        if writeEnd == StepSupervisor.reportFD {  // dup2(3, 3) would keep O_CLOEXEC
            writeEnd = fcntl(fds[1], F_DUPFD_CLOEXEC, 10)
            close(fds[1])
        }
        var args = ["agent-runner", "supervise-step", "--parent", "\(getpid())", "--grace", "\(spec.killGrace)"]
        if let cgroup { args += ["--cgroup", cgroup.path, "--cgroup-version", "\(cgroup.version.rawValue)"] }
        args += ["--", "/bin/sh", "-c", spec.command]
        let handoff = Handoff()
        let thread = WaiterThread { [args, writeEnd, readEnd] in
            let attrs = attributes(spec, out: out, err: err, report: writeEnd)
            let argv = CStringArray(args)
            let envp = environment(spec)
            var supervisor: pid_t = 0
            let rc = posix_spawn(&supervisor, executable, &attrs.actions, &attrs.attributes, argv.pointers, envp.pointers)
            close(writeEnd)
            guard rc == 0 else {
                close(readEnd)
                return handoff.post(.failure(rc))
            }
            let shell = readInt32(readEnd)
            guard let shell, shell > 0 else {
                close(readEnd)
                var status: Int32 = 0
                while waitpid(supervisor, &status, 0) < 0 && errno == EINTR {}
                return handoff.post(.failure(shell.map { -$0 } ?? EPROTO))
            }
            handoff.post(.started(shell: shell, supervisor: supervisor))
            let reported = readInt32(readEnd)
            close(readEnd)
            var status: Int32 = 0
            while waitpid(supervisor, &status, 0) < 0 && errno == EINTR {}
            finished(shell, reported ?? status)
        }
        guard thread.start() else {
            close(readEnd)
            close(writeEnd)
            throw ProcessError(stage: .supervisor, errno: EAGAIN, path: executable)
        }
        switch handoff.wait() {
        case .started(let shell, let supervisor): return (shell, supervisor)
        case .failure(let code): throw ProcessError(stage: .supervisor, errno: code, path: executable)
        }
    }

    /// Exactly four bytes from the pipe, or nil at EOF.
    static func readInt32(_ fd: Int32) -> Int32? {
        var value: Int32 = 0
        var got = 0
        while got < 4 {
            let n = withUnsafeMutableBytes(of: &value) { read(fd, $0.baseAddress! + got, 4 - got) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            got += n
        }
        return value
    }
}

/// The spawning thread's answer to `spawn()`, which blocks until it arrives.
final class Handoff: Sendable {
    enum Answer: Sendable {
        case started(shell: pid_t, supervisor: pid_t)
        case failure(Int32)
    }

    private let answer = Mutex<Answer?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    func post(_ a: Answer) {
        answer.withLock { $0 = a }
        ready.signal()
    }

    func wait() -> Answer {
        ready.wait()
        return answer.withLock { $0! }
    }
}

/// A plain pthread for one blocking `waitpid`: it must not occupy a cooperative-pool thread.
final class WaiterThread: Sendable {
    private let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }

    /// Runs the body on the calling thread (when no thread could be made).
    func runInline() { body() }

    /// False when no thread could be made.
    @discardableResult
    func start() -> Bool {
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
        if rc != 0 { box.release() }
        return rc == 0
    }
}
