import CProcess
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Whether steps run under a supervisor process (`EXECUTABLE supervise-step … -- /bin/sh -c CMD`), which dies
/// with the worker and takes the step's whole process tree with it. Off until a program that has the
/// `supervise-step` command turns it on (the worker does, with its own binary, `/proc/self/exe`).
public enum StepSupervision {
    private static let executablePath = Mutex<String?>(nil)

    /// Runs every later step under `executable`, and removes step cgroups that dead workers left behind.
    public static func enable(executable: String = defaultExecutable()) {
        executablePath.withLock { $0 = executable }
        StepCgroup.sweepStale()
    }

    /// `agent-runner-step` next to the running binary (a small C program: about 1 ms per step), else the
    /// running binary itself, whose hidden `supervise-step` command runs the same loop at the cost of
    /// starting the whole Swift program for every step.
    public static func defaultExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return "/proc/self/exe" }
        let exe = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = exe.lastIndex(of: "/") else { return "/proc/self/exe" }
        let small = String(exe[..<slash]) + "/agent-runner-step"
        return access(small, X_OK) == 0 ? small : "/proc/self/exe"
    }

    public static func disable() { executablePath.withLock { $0 = nil } }

    static var executable: String? { executablePath.withLock { $0 } }
}

/// The supervisor's side: what `agent-runner supervise-step` calls. Everything after the options is in C
/// (supervisor.c): it handles signals and forks, and must stay async-signal-safe where that matters.
public enum StepSupervisor {
    /// The fd on which the supervisor reports to the worker (set up by the worker's spawn).
    public static let reportFD: Int32 = 3

    /// Runs `command` (argv, `command[0]` a path) to the end of its whole tree; returns the exit code.
    public static func run(parent: Int32, grace: Double, cgroup: String?, cgroupVersion: Int, command: [String]) -> Int32 {
        guard !command.isEmpty else { return 125 }
        let argv = CStringArray(command)
        let cgroupCopy = cgroup.map { strdup($0) } ?? nil
        defer { free(cgroupCopy) }
        return argv.pointers.withUnsafeBufferPointer { pointers in
            var options = ar_supervisor_options(parent: parent, grace: max(0, grace), cgroup: UnsafePointer(cgroupCopy),
                                                cgroup_v2: cgroupVersion == 2 ? 1 : 0,
                                                argv: pointers.baseAddress,
                                                report_fd: reportFD)
            return ar_supervise(&options)
        }
    }
}
