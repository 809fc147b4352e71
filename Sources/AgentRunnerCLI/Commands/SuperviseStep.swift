import ArgumentParser
import ProcessRunner

/// The per-step supervisor the worker runs between itself and a step's shell (see `StepSupervision`).
/// Not for people: the worker starts it with its own binary and reads its reports on fd 3.
struct SuperviseStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervise-step",
        abstract: "Run one step's shell so that its whole process tree ends with the step or with the worker (internal).",
        shouldDisplay: false)

    @Option(help: "The worker's pid: when the supervisor's parent is no longer this process, the tree is killed.")
    var parent: Int32
    @Option(help: "Seconds between SIGTERM and SIGKILL for what the shell leaves behind.")
    var grace: Double
    @Option(help: "The step's cgroup folder, which the shell joins before it runs.")
    var cgroup: String?
    @Option(name: .customLong("cgroup-version"), help: "1 (freezer) or 2.")
    var cgroupVersion: Int = 2
    @Argument(parsing: .postTerminator, help: "The program and its arguments (/bin/sh -c COMMAND).")
    var command: [String]

    func run() throws {
        let code = StepSupervisor.run(parent: parent, grace: grace, cgroup: cgroup, cgroupVersion: cgroupVersion, command: command)
        throw ExitCode(code)
    }
}
