import Foundation
import GitKit
import JobSpec
import LLM
import Logging
import ProcessRunner
import SpoolCore

/// How a run's task ended, as the worker loop needs to know it.
enum RunEnd: Sendable {
    case finished(RunStatus)
    /// Given back to `new/` (worker shutdown).
    case requeued
    /// Parked in `wait/` by a `wait:` step.
    case parked
    /// Another worker took the run over; nothing was written.
    case lost
    /// Its events, or its claim (fsync of cur/), could not be written; it stays in cur/ until its lease goes stale.
    case logFailed
}

/// Executes one claimed run in three parts: `prepare` (RunPreparation.swift: the job, the workspace, git),
/// the `StepSequencer` over the step kinds, and `conclude` (RunEpilogue.swift: the final commit, patch.diff,
/// finish or requeue). Every event goes through `emit`, which refuses to write once the run is no longer ours.
struct RunExecutor: Sendable {
    let spooler: Spooler
    let options: WorkerOptions
    let logger: Logger
    /// Called once a run's work is over and only its bookkeeping is left (the `finished` event, its fsync,
    /// the moves to done/): the worker may claim the next job while that completes.
    var workDone: @Sendable (ClaimKey) -> Void = { _ in }

    /// Prepares the run, runs its steps, and concludes it, while the run's `RunControl` watches its
    /// control files.
    func execute(_ ctx: RunContext) async -> RunEnd {
        await withTaskGroup(of: Void.self, returning: RunEnd.self) { group in
            group.addTask { await ctx.control.watch() }
            defer { group.cancelAll() }
            switch await prepare(ctx) {
            case .ended(let end): return end
            case .ready(let prepared): return await conclude(ctx, prepared, await sequencer(ctx, prepared).run(prepared))
            }
        }
    }

    /// The run's steps with the step kinds this worker knows (shell, agent).
    func sequencer(_ ctx: RunContext, _ prepared: PreparedRun) -> StepSequencer {
        let emit: @Sendable (EventType, [(String, JSON)]) -> Bool = { self.emit(ctx, $0, $1) }
        let git = prepared.git
        let commitEachStep = prepared.commitMode == .step
        // Only a job with a `wait:` step reads its history back: to go on after a released wait.
        let release = prepared.job.steps.contains { $0.wait != nil } ? RunHistory.read(ctx.run.events.path).lastRelease : nil
        let kinds: [any StepKind] = [
            ShellStep(spooler: spooler, options: options, ctx: ctx, emit: emit),
            WaitStep(spooler: spooler, ctx: ctx, emit: emit, release: release),
            AgentStep(options: options, ctx: ctx, emit: emit, afterTurn: { step, turn, summary in
                if commitEachStep { self.commit(ctx, git, "Step \(step), turn \(turn): \(summary)", nil, [("step", .int(step)), ("turn", .int(turn))]) }
            }),
        ]
        return StepSequencer(ctx: ctx, kinds: kinds, emit: emit, commit: { self.commit(ctx, git, $0, $1, $2) },
                             commitEachStep: commitEachStep, resumeAt: release?.step)
    }

    // MARK: events

    /// Appends an event unless the run was lost; a write error marks the run unloggable.
    func emit(_ ctx: RunContext, _ type: EventType, _ fields: [(String, JSON)]) -> Bool {
        if ctx.isLost || ctx.eventLogFailed { return false }
        // A spool folder that is away is not a lost lease: the events file is written through its fd meanwhile.
        guard spooler.checkLease(ctx.run) != .lost else {
            ctx.markLost()
            logger.error("lost the lease on \(ctx.run.id); stopping it here", metadata: ["run": "\(ctx.run.id)"])
            return false
        }
        do {
            try ctx.run.events.append(type, fields)
            return true
        } catch {
            ctx.markEventLogFailed()
            logger.error("\(SpoolError.eventLog(error, run: ctx.run.id))")
            return false
        }
    }

    /// Commits the worktree's changes and logs the commit (or the error); nothing without git.
    func commit(_ ctx: RunContext, _ git: GitSession?, _ subject: String, _ body: String?, _ extra: [(String, JSON)]) {
        guard let git else { return }
        switch git.commit(subject: subject, body: body) {
        case .success(let info?): _ = emit(ctx, .gitCommit, GitSession.commitFields(info, branch: git.worktree.branch, extra: extra))
        case .success(nil): break
        case .failure(let e): _ = emit(ctx, .gitError, [("message", .string(e.description))])
        }
    }
}

extension Duration {
    /// `90` → "1m30s", `0.5` → "500ms": the way job files write durations.
    static func format(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        var s = Int(seconds.rounded())
        var out = ""
        if s >= 3600 { out += "\(s / 3600)h"; s %= 3600 }
        if s >= 60 { out += "\(s / 60)m"; s %= 60 }
        if s > 0 || out.isEmpty { out += "\(s)s" }
        return out
    }
}
