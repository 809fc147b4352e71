/// What to run for one shell step, and where its output goes.
public struct ProcessSpec: Sendable {
    /// Run as `/bin/sh -c command`.
    public var command: String
    public var workingDirectory: String
    /// The complete environment of the process (nothing is inherited implicitly).
    public var environment: [String: String]
    /// Files that receive stdout and stderr, opened with `O_APPEND` (created if missing).
    public var stdoutPath: String
    public var stderrPath: String
    /// Seconds before the process group is terminated; nil for no limit.
    public var timeout: Double?
    /// Seconds between SIGTERM and SIGKILL when the group is terminated.
    public var killGrace: Double
    /// Names the step's cgroup (`RUN-step3`), for whoever looks at the host; not needed to be unique.
    public var label = "step"
    /// A program with the `supervise-step` command to run the shell under (`StepSupervision`); nil to spawn
    /// the shell directly, with only its process group to contain it.
    public var supervisor: String? = StepSupervision.executable

    public init(command: String, workingDirectory: String, environment: [String: String], stdoutPath: String,
                stderrPath: String, timeout: Double?, killGrace: Double) {
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
        self.timeout = timeout
        self.killGrace = killGrace
    }
}

/// How a process ended.
public struct ProcessResult: Sendable, Equatable {
    /// The exit status when the shell exited normally.
    public var exitCode: Int32?
    /// The signal that killed the shell, if one did.
    public var signal: Int32?
    /// The timeout elapsed and the group was terminated.
    public var timedOut: Bool
    /// `terminate()` was called (stop, shutdown, lost lease).
    public var terminated: Bool
    /// Seconds from spawn to exit (monotonic).
    public var duration: Double
    /// The timeout that applied, for the summary.
    public var timeout: Double?

    public init(exitCode: Int32?, signal: Int32?, timedOut: Bool, terminated: Bool, duration: Double, timeout: Double? = nil) {
        self.exitCode = exitCode
        self.signal = signal
        self.timedOut = timedOut
        self.terminated = terminated
        self.duration = duration
        self.timeout = timeout
    }

    public var succeeded: Bool { exitCode == 0 && !timedOut && !terminated }

    /// `exit 0`, `exit 3`, `killed by SIGKILL`, `timed out after 2s`, `stopped (SIGTERM)`.
    public var summary: String {
        let how = exitCode.map { "exit \($0)" } ?? signal.map { "killed by \(signalName($0))" } ?? "ended"
        if timedOut { return "timed out after \(formatSeconds(timeout ?? duration)) (\(how))" }
        if terminated { return "terminated (\(how))" }
        return how
    }
}

/// `SIGKILL` for 9, and so on; the number for signals without a common name.
public func signalName(_ signal: Int32) -> String {
    let names: [Int32: String] = [1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
                                  9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM", 24: "SIGXCPU", 25: "SIGXFSZ"]
    return names[signal] ?? "signal \(signal)"
}

func formatSeconds(_ s: Double) -> String {
    if s < 1 { return "\(Int((s * 1000).rounded()))ms" }
    if s == s.rounded() { return "\(Int(s))s" }
    return "\(Double(Int((s * 10).rounded())) / 10)s"
}
