import JobSpec
import SpoolCore

/// How a step ended, for every kind of step, and how the sequence of a run's steps ended.
enum StepOutcome: Sendable, Equatable {
    case succeeded
    case failed(String)
    /// `control/RUN.stop`: the run ends `stopped`, with this reason.
    case stopped(String)
    /// The worker is shutting down: the run is requeued.
    case shutdown
    /// Another worker took the run over: nothing more is written.
    case lost
    /// Its events cannot be written: the run stays in cur/ until its lease goes stale.
    case logFailed
    /// A `wait:` step: the run is parked in `wait/` until this holds.
    case park(WaitCondition, timeout: Double)
}

/// What a step gets from its run.
struct StepContext: Sendable {
    /// 1-based, as events and artifacts number steps.
    let index: Int
    let workspace: String
    let artifacts: FilePath
    let environment: [String: String]
    /// The job's `timeout` as a monotonic time.
    let deadline: Double?
    let attempt: Int
}

/// One kind of step (shell, agent; later engines): starts its own `step.started`, ends with its own
/// `step.finished`, and honours the run's `RunControl` while it runs.
protocol StepKind: Sendable {
    /// Whether this kind runs `step`.
    func handles(_ step: Step) -> Bool
    /// The name commits and messages use for a step without a `name:`.
    func defaultName(index: Int) -> String
    func run(_ step: Step, _ context: StepContext) async -> StepOutcome
}

/// Runs a job's steps in order: holds between steps while the run is paused, honours stop, the job's
/// timeout and `continue_on_error`, and commits after each step (`git.commit: step`).
struct StepSequencer: Sendable {
    let ctx: RunContext
    let kinds: [any StepKind]
    let emit: @Sendable (EventType, [(String, JSON)]) -> Bool
    /// Commits the step's changes (subject, body, extra `git.commit` fields); a no-op without git.
    let commit: @Sendable (String, String?, [(String, JSON)]) -> Void
    let commitEachStep: Bool

    /// The `wait:` step this claim goes on after (from the run's last `wait.released`): the steps before it
    /// ran in an earlier claim and never run again.
    let resumeAt: Int?

    /// `.succeeded` once every step ran (or failed with `continue_on_error`), else the first other outcome.
    func run(_ run: PreparedRun) async -> StepOutcome {
        let job = run.job, deadline = run.deadline
        for (offset, step) in job.steps.enumerated() {
            let index = offset + 1
            if let resumeAt, index < resumeAt { continue }
            if let stop = await gate(before: index) { return stop }
            if let deadline, monotonicNow() >= deadline {
                return .failed("the run timed out after \(Duration.format(job.timeout!)) (job timeout)")
            }
            guard let kind = kinds.first(where: { $0.handles(step) }) else {
                return .failed("step \(index) has no runner in this worker")
            }
            let context = StepContext(index: index, workspace: run.workdir, artifacts: run.artifacts,
                                      environment: run.environment, deadline: deadline, attempt: ctx.run.attempt)
            let outcome = await kind.run(step, context)
            if commitEachStep, !ctx.isLost, !ctx.eventLogFailed {
                commit("Step \(index): \(step.name ?? kind.defaultName(index: index))", step.run.map { "$ " + $0 },
                       [("step", .int(index))])
            }
            switch outcome {
            case .succeeded: continue
            case .failed where step.continueOnError: continue
            default: return outcome
            }
        }
        return .succeeded
    }

    /// Between steps: holds the run while `control/RUN.pause` exists (`paused`/`resumed` with `before_step`)
    /// and honours stop; nil means go on.
    func gate(before index: Int) async -> StepOutcome? {
        let fields: [(String, JSON)] = [("before_step", .int(index))]
        switch await ctx.control.waitWhilePaused(onPause: { emit(.paused, fields) }, onResume: { emit(.resumed, fields) }) {
        case .proceed: return nil
        case .stop(.requested):
            guard emit(.stopRequested, [("step", .int(index))]) else { return ctx.isLost ? .lost : .logFailed }
            return .stopped("stopped before step \(index)")
        case .stop(let reason): return StepOutcome(reason)
        }
    }
}

extension StepOutcome {
    /// The outcome of a step (or run) that must end for `reason`.
    init(_ reason: RunControl.StopReason) {
        switch reason {
        case .lost: self = .lost
        case .logFailed: self = .logFailed
        case .shutdown: self = .shutdown
        case .requested: self = .stopped("stopped")
        }
    }
}
