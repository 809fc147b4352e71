import Foundation
import GitKit
import JobSpec
import Logging
import SpoolCore

extension RunExecutor {
    /// After the steps: a run that must stop here is requeued (shutdown) or left (lost, log failed);
    /// otherwise, whatever the outcome, the work so far is committed, its patch kept, the worktree removed
    /// (the branch stays) and the run finished.
    func conclude(_ ctx: RunContext, _ prepared: PreparedRun, _ outcome: StepOutcome) async -> RunEnd {
        let status: RunStatus
        let failure: String?
        switch outcome {
        case .succeeded: (status, failure) = (.succeeded, nil)
        case .failed(let why): (status, failure) = (.failed, why)
        case .stopped(let why): (status, failure) = (.stopped, why)
        case .shutdown: return await requeue(ctx, git: prepared.git)
        case .park(let condition, let timeout): return await park(ctx, git: prepared.git, condition, timeout: timeout)
        case .lost: return .lost
        case .logFailed: return abandon(ctx)
        }
        // A run taken over meanwhile belongs to its next attempt, which may already use the same worktree:
        // this attempt must not commit into it or remove it.
        if ctx.isLost || spooler.checkLease(ctx.run) == .lost {
            ctx.markLost()
            return .lost
        }
        var fields: [(String, JSON)] = failure.map { [("reason", .string($0))] } ?? []
        // Children spawned where no shell step ended afterwards (an agent's `shell` call) are named now.
        for spawned in spooler.unrecordedSpawns(ctx.run) { _ = emit(ctx, .childSpawned, spawned) }
        if let git = prepared.git {
            let title = prepared.job.title ?? "agent run"
            let subject = switch status {
            case .stopped: "Stopped: \(title)"
            case .succeeded: "Finish: \(title)"
            default: "Failed: \(title)"
            }
            commit(ctx, git, subject, failure, [])
            if case .success(let patch) = git.patch() {
                try? Data(patch.utf8).write(to: URL(fileURLWithPath: prepared.artifacts.appending("patch.diff").display))
            }
            fields.append(("branch", .string(git.worktree.branch)))
            if let head = git.worktree.head { fields.append(("head", .string(head))) }
            if let e = git.remove() { _ = emit(ctx, .gitError, [("message", .string("cannot remove the worktree: \(e)"))]) }
        }
        return await finish(ctx, status, fields, result: prepared)
    }

    /// With `result`, the run's `result.json` is written first, with the status it really ends with.
    func finish(_ ctx: RunContext, _ status: RunStatus, _ fields: [(String, JSON)] = [], result prepared: PreparedRun? = nil) async -> RunEnd {
        if ctx.isLost { return .lost }
        if ctx.eventLogFailed { return abandon(ctx) }
        var status = status, fields = fields
        if status != .rejected, let changed = jobFileChange(ctx) {
            // The run executed the job as it was read; done/ would record another one.
            _ = emit(ctx, .error, [("message", .string("the job file changed while the run was running: \(changed)"))])
            status = .failed
            fields = [("reason", .string("job file changed while running"))] + fields.filter { $0.0 != "reason" }
        }
        if let prepared {
            let reason = fields.first { $0.0 == "reason" }?.1.stringValue
            RunResult.write(ctx, artifacts: prepared.artifacts, status: status, reason: reason, usesGit: prepared.git != nil)
        }
        ctx.markEnding()
        workDone(ctx.claim)
        let spooler = self.spooler
        let (finalStatus, finalFields) = (status, fields)
        let outcome = await Blocking.run { () throws(SpoolError) -> Bool in
            try spooler.finish(ctx.run, status: finalStatus, fields: finalFields)
        }
        do {
            guard try outcome.get() else {
                logger.error("lost the lease on \(ctx.run.id) before finishing; not writing to done/")
                return .lost
            }
        } catch {
            logger.error("cannot finish \(ctx.run.id): \(error)")
            return .logFailed
        }
        let level: Logger.Level = status == .succeeded ? .info : .notice
        logger.log(level: level, "\(ctx.run.displayName) \(status.rawValue)", metadata: ["run": "\(ctx.run.id)"])
        return .finished(status)
    }

    /// A full disk (or quota) while preparing the run passes, as a failed event write does: the run goes back
    /// to the queue after a backoff (1 s, doubling per attempt, at most a minute), and fails only once its
    /// attempts are used up.
    func requeueDiskFull(_ ctx: RunContext, _ error: SysError, maxAttempts: Int) async -> RunEnd {
        let attempt = ctx.run.attempt
        guard attempt < maxAttempts else {
            _ = emit(ctx, .error, [("message", .string("cannot prepare the run: \(error)"))])
            return await finish(ctx, .failed, [("reason", .string("the disk was full while preparing the run on attempt \(attempt) of \(maxAttempts): \(error)"))])
        }
        let backoff = min(60, Double(1 << min(attempt - 1, 6)))
        guard emit(ctx, .error, [("message", .string("cannot prepare the run: \(error); requeued in \(Duration.format(backoff))")),
                                 ("retry_in", .double(backoff))]) else { return abandon(ctx) }
        logger.warning("\(ctx.run.displayName): disk full while preparing the run (\(error)); requeueing it in \(Duration.format(backoff))",
                       metadata: ["run": "\(ctx.run.id)"])
        // Waits out the backoff unless the run is lost, shut down or stopped meanwhile.
        let ended = await ctx.control.first(within: backoff) {
            if case .stopping(let reason) = $0 { return reason != .logFailed }
            return false
        }
        if ended == .stopping(.requested) {
            guard emit(ctx, .stopRequested, []) else { return abandon(ctx) }
            return await finish(ctx, .stopped, [("reason", .string("stopped while waiting to retry after a full disk"))])
        }
        if ctx.isLost { return .lost }
        return await requeue(ctx, reason: .diskFull)
    }

    func requeue(_ ctx: RunContext, git: GitSession? = nil, reason: RequeueReason = .workerShutdown) async -> RunEnd {
        // The next attempt reopens the same worktree; committing first keeps the work even if it runs elsewhere.
        if let git, case .success(let info?) = git.commit(subject: "Interrupted: worker shut down") {
            _ = emit(ctx, .gitCommit, GitSession.commitFields(info, branch: git.worktree.branch, extra: []))
        }
        ctx.markEnding()
        let spooler = self.spooler
        let outcome = await Blocking.run { () throws(SpoolError) -> Bool in
            try spooler.requeue(ctx.run, reason: reason)
        }
        do {
            if try outcome.get() {
                logger.notice("requeued \(ctx.run.id) for another worker", metadata: ["run": "\(ctx.run.id)"])
                return .requeued
            }
            return .lost
        } catch {
            logger.error("cannot requeue \(ctx.run.id): \(error); it is requeued by another worker once its lease expires")
            return .logFailed
        }
    }

    /// A `wait:` step parks the run: the work so far is committed (the next claim, perhaps on another host,
    /// reopens the same worktree), then the run moves to `wait/` and this worker lets go of it.
    func park(_ ctx: RunContext, git: GitSession?, _ condition: WaitCondition, timeout: Double) async -> RunEnd {
        if ctx.isLost || spooler.checkLease(ctx.run) == .lost {
            ctx.markLost()
            return .lost
        }
        if let git, case .success(let info?) = git.commit(subject: "Waiting for children (step \(condition.step))") {
            _ = emit(ctx, .gitCommit, GitSession.commitFields(info, branch: git.worktree.branch, extra: []))
        }
        // The slot stays taken until the run has left cur/ (no `workDone` first): the park is a few renames.
        ctx.markEnding()
        let spooler = self.spooler
        let outcome = await Blocking.run { () throws(SpoolError) -> Bool in
            try spooler.park(ctx.run, condition, timeout: timeout)
        }
        do {
            guard try outcome.get() else { return .lost }
        } catch {
            logger.error("cannot park \(ctx.run.id): \(error); a worker's recovery completes or undoes the park once its lease or token is stale")
            return .logFailed
        }
        logger.info("\(ctx.run.displayName) waits for \(condition.needed) of \(condition.children.count) children",
                    metadata: ["run": "\(ctx.run.id)"])
        // Its children may all have finished while it parked: look once now rather than at the next poll.
        spooler.releaseReady()
        return .parked
    }

    /// The run cannot be logged: leave it in cur/ with its lease, which nobody renews now, so another
    /// worker requeues it once the lease is stale. Nothing is marked done.
    func abandon(_ ctx: RunContext) -> RunEnd {
        if ctx.isLost { return .lost }
        return .logFailed
    }

    /// What changed in `cur/RUN.yaml` since the run read it, or nil when it is the same bytes (or unreadable).
    func jobFileChange(_ ctx: RunContext) -> String? {
        guard let before = ctx.jobDigest,
              let bytes = try? Sys.readQueued(spooler.spool.jobFile(ctx.run.id, in: .running), limit: JobLoader.maxFileSize + 1) else {
            return nil
        }
        let now = JobDigest(bytes)
        guard now != before else { return nil }
        return "read as \(before.size) bytes (sha256 \(before.sha256.prefix(12))), now \(now.size) bytes (sha256 \(now.sha256.prefix(12)))"
    }
}
