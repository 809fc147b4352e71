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
    public static func enable(executable: String = "/proc/self/exe") {
        executablePath.withLock { $0 = executable }
        StepCgroup.sweepStale()
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
