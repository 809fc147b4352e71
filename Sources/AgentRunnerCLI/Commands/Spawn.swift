import ArgumentParser
import Foundation
import JobSpec
import SpoolCore

/// `agent-runner spawn`, run from a step of a running job: queues a child job exactly once (`Spooler.spawn`).
struct Spawn: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "From a running job's step: queue a child job, exactly once; prints the child's run id.",
        discussion: """
            The child's id comes from the parent, the step and --key (default: the SHA-256 of the job file), so \
            running the step again (after a crash, a takeover or a retry of the attempt) names the same child and \
            queues nothing new. The parent and step default to $AGENT_RUNNER_RUN_ID and $AGENT_RUNNER_STEP, which \
            every step has. Limits: depth 3 under the first run that spawned, 20 children per run;             --max-depth and --max-children can only lower them (the job runs this command, so it cannot raise             the runner's limits).
            """)

    @OptionGroup var spool: SpoolOption
    @Argument(help: "The child's job file, or - for standard input.")
    var file: String
    @Option(help: "What tells this child apart from the step's other children (default: the SHA-256 of the job file).")
    var key: String?
    @Option(help: ArgumentHelp("The parent run (default: $AGENT_RUNNER_RUN_ID).", valueName: "run"))
    var parent: String?
    @Option(help: "The parent's step that spawns (default: $AGENT_RUNNER_STEP).")
    var step: Int?
    @Option(help: "The display name of the child (default: the file's name).")
    var name: String?
    @Option(help: "A lower limit for how deep a child may be under the first run that spawned (at most 3).")
    var maxDepth = SpawnLimits().maxDepth
    @Option(help: "A lower limit for how many children one run may spawn (at most 20).")
    var maxChildren = SpawnLimits().maxChildren

    func run() throws {
        let env = ProcessInfo.processInfo.environment
        guard let given = parent ?? env["AGENT_RUNNER_RUN_ID"] else {
            throw CLIError("spawn needs a parent run: run it from a job's step (which sets AGENT_RUNNER_RUN_ID) or pass --parent RUN")
        }
        guard let parentID = RunID(given) else { throw CLIError("--parent \(given) is not a run id") }
        guard let stepIndex = step ?? env["AGENT_RUNNER_STEP"].flatMap({ Int($0) }) else {
            throw CLIError("spawn needs the parent's step: run it from a job's step (which sets AGENT_RUNNER_STEP) or pass --step N")
        }
        let (s, spooler) = try spool.spooler()
        let input = try readInput(file)
        do { _ = try JobLoader.load(input.bytes, file: file == "-" ? "<stdin>" : file, workspaceRoots: s.workspaceRoots(try s.loadConfig())) }
        catch { throw CLIError("\(error)") }
        let spawned = try spooler.spawn(input.bytes, parent: parentID, step: stepIndex, key: key ?? SHA256.hex(input.bytes),
                                        name: Array((name ?? input.name).utf8),
                                        limits: SpawnLimits().lowered(maxDepth: maxDepth, maxChildren: maxChildren))
        if spawned.alreadySpawned { printError("\(spawned.child) was spawned already; nothing new was queued") }
        print(spawned.child)
    }
}
