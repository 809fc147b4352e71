import JobSpec
import SpoolCore

/// A `wait:` step: parks the run until the children it spawned so far have finished (all, any or N of them).
/// The run leaves the worker (`StepOutcome.park`): no slot, no lease, no process. Whichever worker sees the
/// condition hold releases it to `new/`, and the claim that follows goes on here: the step ends with the
/// release's verdict and the run continues with the next step (steps before the wait never run again).
struct WaitStep: StepKind {
    let spooler: Spooler
    let ctx: RunContext
    let emit: @Sendable (EventType, [(String, JSON)]) -> Bool
    /// The release this claim goes on from, when it goes on from one.
    let release: EventType.WaitReleased?

    func handles(_ step: Step) -> Bool { step.wait != nil }
    func defaultName(index: Int) -> String { "wait \(index)" }

    func run(_ step: Step, _ context: StepContext) async -> StepOutcome {
        let index = context.index, label = step.name ?? defaultName(index: index)
        guard let mode = step.wait else { return .failed("step \(index) is not a wait") }
        if let release, release.step == index { return finishReleased(index, label, release, artifacts: context.artifacts) }
        guard emit(.stepStarted, [("step", .int(index)), ("name", .string(label)), ("kind", .string("wait")),
                                  ("wait", .string(mode.description)), ("line", .int(step.line))]) else {
            return ctx.isLost ? .lost : .logFailed
        }
        // Children spawned by earlier steps are named on the run before it parks.
        for spawned in spooler.unrecordedSpawns(ctx.run) { _ = emit(.childSpawned, spawned) }
        let children = spooler.children(of: ctx.run.id)
        let timeout = step.timeout ?? Step.defaultWaitTimeout
        guard let now = try? spooler.fsClock.now() else { return .failed("cannot read the file system's clock to set the wait's deadline") }
        let condition = WaitCondition(step: index, mode: mode.description, needed: mode.needed(of: children.count),
                                      children: children, deadline: now + timeout)
        if spooler.isMet(condition) {
            // Nothing to wait for: no parking, the step ends here.
            let done = spooler.finishedChildren(condition).count
            guard emit(.stepFinished, [("step", .int(index)), ("name", .string(label)), ("ok", .bool(true)),
                                       ("outcome", .string("\(done) of \(children.count) children finished; \(condition.needed) needed")),
                                       ("duration", .double(0))]) else { return ctx.isLost ? .lost : .logFailed }
            return .succeeded
        }
        return .park(condition, timeout: timeout)
    }

    /// The wait parked in an earlier claim and was released: its verdict ends the step.
    func finishReleased(_ index: Int, _ label: String, _ release: EventType.WaitReleased, artifacts: FilePath) -> StepOutcome {
        let finished = release.finished ?? 0, needed = release.needed ?? 0
        let reason = ReleaseReason(rawValue: release.reason ?? "") ?? .met
        let summary: String = switch reason {
        case .met: "\(finished) children finished; \(needed) needed"
        case .deadline: "timed out: \(finished) children finished, \(needed) needed"
        case .stopped: "stopped while waiting"
        }
        // The children's statuses and results, for the steps after the wait (`$AGENT_RUNNER_ARTIFACTS/children.json`).
        let written = RunResult.writeChildren(spooler, parent: ctx.run.id, artifacts: artifacts)
        guard emit(.stepFinished, [("step", .int(index)), ("name", .string(label)), ("ok", .bool(reason == .met)),
                                   ("outcome", .string(summary)), ("artifacts", .array(written.map { [.string($0)] } ?? []))]) else {
            return ctx.isLost ? .lost : .logFailed
        }
        switch reason {
        case .met: return .succeeded
        case .deadline: return .failed("step \(index) (\(label)) \(summary)")
        case .stopped: return .stopped("stopped while waiting for children (step \(index))")
        }
    }
}
