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
    /// Another worker took the run over; nothing was written.
    case lost
    /// Its events, or its claim (fsync of cur/), could not be written; it stays in cur/ until its lease goes stale.
    case logFailed
}

/// Executes one claimed run: validate the job file, run its steps, finish. Every event goes through
/// `emit`, which refuses to write once the run is no longer ours.
struct RunExecutor: Sendable {
    let spooler: Spooler
    let options: WorkerOptions
    let logger: Logger
    /// Called once a run's work is over and only its bookkeeping is left (the `finished` event, its fsync,
    /// the moves to done/): the worker may claim the next job while that completes.
    var workDone: @Sendable (ClaimKey) -> Void = { _ in }

    func execute(_ ctx: RunContext) async -> RunEnd {
        let run = ctx.run
        // The claim's step 5: nothing of the run happens before its claim is on disk (no thread where there
        // is nothing to sync).
        if spooler.durability == .fsync,
           case .failure(let error) = await Blocking.run({ [spooler] () throws(SpoolError) in try spooler.syncClaims() }) {
            logger.error("claimed \(run.displayName) but cannot make the claim durable, so it does not start: \(error); it is requeued once its lease is stale",
                         metadata: ["run": "\(run.id)"])
            return .logFailed
        }
        let job: Job
        switch await load(ctx) {
        case .failure(let error):
            guard emit(ctx, "rejected", rejectionFields(error, run: run)) else { return abandon(ctx) }
            logger.warning("rejected \(run.displayName): \(error)", metadata: ["run": "\(run.id)"])
            return await finish(ctx, .rejected, [("reason", .string(error.description))])
        case .success(let loaded):
            job = loaded
        }
        spooler.recordMaxAttempts(run, job.maxAttempts ?? spooler.maxAttempts)
        var started: [(String, JSON)] = [("attempt", .int(run.attempt)), ("steps", .int(job.steps.count)),
                                         ("priority", .int(job.priority))]
        if let title = job.title { started.insert(("title", .string(title)), at: 0) }
        if !job.labels.isEmpty { started.append(("labels", .array(job.labels.map { .string($0) }))) }
        if let digest = ctx.jobDigest {
            started += [("job_bytes", .int(digest.size)), ("job_sha256", .string(digest.sha256))]
        }
        let workspace = workspacePath(job, run: run.id)
        started.append(("workspace", .string(workspace)))
        guard emit(ctx, "started", started) else { return abandon(ctx) }
        if options.claimOnly { return await finish(ctx, .succeeded) }
        if job.steps.isEmpty, spooler.controls(run.id).stop {
            guard emit(ctx, "stop.requested", []) else { return abandon(ctx) }
            return await finish(ctx, .stopped, [("reason", .string("stopped before it started"))])
        }

        let artifacts = spooler.spool.artifactsDir(run.id, in: .running)
        // A job without steps needs no folders: nothing would run in them.
        if job.steps.isEmpty { return await finish(ctx, .succeeded) }
        if let missing = missingAbsoluteWorkspace(job, workspace) {
            _ = emit(ctx, "error", [("message", .string(missing))])
            return await finish(ctx, .failed, [("reason", .string(missing))])
        }
        do {
            try Sys.mkdirs(FilePath(workspace))
            try Sys.mkdir(artifacts)
        } catch where error.errno == ENOSPC || error.errno == EDQUOT {
            return await requeueDiskFull(ctx, error, maxAttempts: job.maxAttempts ?? options.config.maxAttempts)
        } catch {
            _ = emit(ctx, "error", [("message", .string("cannot prepare the run: \(error)"))])
            return await finish(ctx, .failed, [("reason", .string("cannot create the workspace or artifacts folder: \(error)"))])
        }
        // Agent jobs (and jobs with a `git:` key) work on their own branch in their own worktree.
        var git: GitSession?
        let commitMode = job.git?.commit ?? .step
        if (job.hasAgentSteps || job.git != nil) && commitMode != .off {
            do {
                let session = try GitSession.open(job: job, repository: workspace, spool: spooler.spool, run: run.id, config: options.config)
                guard emit(ctx, "git.branch", [("branch", .string(session.worktree.branch)), ("base", .string(session.worktree.baseCommit)),
                                               ("worktree", .string(session.worktree.path)), ("repository", .string(workspace))]) else {
                    return abandon(ctx)
                }
                git = session
            } catch {
                _ = emit(ctx, "git.error", [("message", .string(error.description))])
                return await finish(ctx, .failed, [("reason", .string("cannot prepare the run's git worktree: \(error)"))])
            }
        }
        let workdir = git?.worktree.path ?? workspace
        let deadline = job.timeout.map { monotonicNow() + $0 }
        var env = ProcessInfo.processInfo.environment
        // Provider keys are for the worker's own requests; steps and tools never see them.
        for name in ProviderCatalog.keyVariables(options.config) { env.removeValue(forKey: name) }
        for (k, v) in job.env { env[k] = v }
        env["AGENT_RUNNER_RUN_ID"] = run.id.rawValue
        env["AGENT_RUNNER_SPOOL"] = spooler.spool.root.display
        env["AGENT_RUNNER_WORKSPACE"] = workdir
        env["AGENT_RUNNER_ATTEMPT"] = String(run.attempt)

        let session = git
        let commit: @Sendable (String, String?, [(String, JSON)]) -> Void = { subject, body, extra in
            guard let git = session else { return }
            switch git.commit(subject: subject, body: body) {
            case .success(let info?): _ = emit(ctx, "git.commit", GitSession.commitFields(info, branch: git.worktree.branch, extra: extra))
            case .success(nil): break
            case .failure(let e): _ = emit(ctx, "git.error", [("message", .string(e.description))])
            }
        }
        var failure: String?
        var ending: RunStatus?
        let steps = StepRunner(spooler: spooler, options: options, ctx: ctx, emit: { emit(ctx, $0, $1) })
        let agents = AgentStepRunner(spooler: spooler, options: options, ctx: ctx, emit: { emit(ctx, $0, $1) },
                                     afterTurn: { step, turn, summary in
            if commitMode == .step { commit("Step \(step), turn \(turn): \(summary)", nil, [("step", .int(step)), ("turn", .int(turn))]) }
        })
        stepLoop: for (index, step) in job.steps.enumerated() {
            switch await steps.waitWhilePaused(step: index + 1) {
            case .proceed: break
            case .stop:
                failure = "stopped before step \(index + 1)"
                ending = .stopped
                break stepLoop
            case .shutdown: return await requeue(ctx, git: git)
            case .lost: return .lost
            case .logFailed: return abandon(ctx)
            }
            if let deadline, monotonicNow() >= deadline {
                failure = "the run timed out after \(Duration.format(job.timeout!)) (job timeout)"
                break
            }
            let outcome: StepRunner.Outcome
            let label = step.name ?? (step.agent != nil ? "agent" : "step \(index + 1)")
            if let spec = step.agent {
                outcome = await agents.run(step, spec: spec, index: index + 1, workspace: workdir, artifacts: artifacts,
                                           environment: env, deadline: deadline)
            } else {
                outcome = await steps.run(step, index: index + 1, workspace: workdir, artifacts: artifacts,
                                          environment: env, deadline: deadline, attempt: run.attempt)
            }
            if commitMode == .step, !ctx.isLost, !ctx.eventLogFailed {
                commit("Step \(index + 1): \(label)", step.run.map { "$ " + $0 }, [("step", .int(index + 1))])
            }
            switch outcome {
            case .succeeded: continue
            case .failed(let why):
                if step.continueOnError { continue }
                failure = why
            case .stopped:
                failure = "stopped during step \(index + 1)"
                ending = .stopped
            case .shutdown: return await requeue(ctx, git: git)
            case .lost: return .lost
            case .logFailed: return abandon(ctx)
            }
            if failure != nil { break }
        }
        // A run taken over meanwhile belongs to its next attempt, which may already use the same worktree:
        // this attempt must not commit into it or remove it.
        if ctx.isLost || !spooler.owns(ctx.run) {
            ctx.markLost()
            return .lost
        }
        // Whatever the outcome, the work so far is committed and its patch kept.
        var fields: [(String, JSON)] = failure.map { [("reason", .string($0))] } ?? []
        if let git {
            commit(ending == .stopped ? "Stopped: \(job.title ?? "agent run")" : (failure == nil ? "Finish: \(job.title ?? "agent run")"
                                                                                       : "Failed: \(job.title ?? "agent run")"),
                   failure, [])
            if case .success(let patch) = git.patch() {
                try? Data(patch.utf8).write(to: URL(fileURLWithPath: artifacts.appending("patch.diff").display))
            }
            fields.append(("branch", .string(git.worktree.branch)))
            if let head = git.worktree.head { fields.append(("head", .string(head))) }
            if let e = git.remove() { _ = emit(ctx, "git.error", [("message", .string("cannot remove the worktree: \(e)"))]) }
        }
        return await finish(ctx, ending ?? (failure == nil ? .succeeded : .failed), fields)
    }

    // MARK: events

    /// Appends an event unless the run was lost; a write error marks the run unloggable.
    func emit(_ ctx: RunContext, _ type: String, _ fields: [(String, JSON)]) -> Bool {
        if ctx.isLost || ctx.eventLogFailed { return false }
        guard spooler.owns(ctx.run) else {
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

    func finish(_ ctx: RunContext, _ status: RunStatus, _ fields: [(String, JSON)] = []) async -> RunEnd {
        if ctx.isLost { return .lost }
        if ctx.eventLogFailed { return abandon(ctx) }
        var status = status, fields = fields
        if status != .rejected, let changed = jobFileChange(ctx) {
            // The run executed the job as it was read; done/ would record another one.
            _ = emit(ctx, "error", [("message", .string("the job file changed while the run was running: \(changed)"))])
            status = .failed
            fields = [("reason", .string("job file changed while running"))] + fields.filter { $0.0 != "reason" }
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
            _ = emit(ctx, "error", [("message", .string("cannot prepare the run: \(error)"))])
            return await finish(ctx, .failed, [("reason", .string("the disk was full while preparing the run on attempt \(attempt) of \(maxAttempts): \(error)"))])
        }
        let backoff = min(60, Double(1 << min(attempt - 1, 6)))
        guard emit(ctx, "error", [("message", .string("cannot prepare the run: \(error); requeued in \(Duration.format(backoff))")),
                                  ("retry_in", .double(backoff))]) else { return abandon(ctx) }
        logger.warning("\(ctx.run.displayName): disk full while preparing the run (\(error)); requeueing it in \(Duration.format(backoff))",
                       metadata: ["run": "\(ctx.run.id)"])
        let until = monotonicNow() + backoff
        while monotonicNow() < until && !ctx.isLost && !ctx.isShuttingDown {
            if spooler.controls(ctx.run.id).stop {
                guard emit(ctx, "stop.requested", []) else { return abandon(ctx) }
                return await finish(ctx, .stopped, [("reason", .string("stopped while waiting to retry after a full disk"))])
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        if ctx.isLost { return .lost }
        return await requeue(ctx, reason: .diskFull)
    }

    func requeue(_ ctx: RunContext, git: GitSession? = nil, reason: RequeueReason = .workerShutdown) async -> RunEnd {
        // The next attempt reopens the same worktree; committing first keeps the work even if it runs elsewhere.
        if let git, case .success(let info?) = git.commit(subject: "Interrupted: worker shut down") {
            _ = emit(ctx, "git.commit", GitSession.commitFields(info, branch: git.worktree.branch, extra: []))
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

    /// The run cannot be logged: leave it in cur/ with its lease, which nobody renews now, so another
    /// worker requeues it once the lease is stale. Nothing is marked done.
    func abandon(_ ctx: RunContext) -> RunEnd {
        if ctx.isLost { return .lost }
        return .logFailed
    }

    // MARK: the job file

    /// Reads and validates `cur/RUN.yaml`. A file that may still be being written (empty, no final newline,
    /// YAML cut short) is re-read once it has stayed unchanged for `grace` seconds.
    func load(_ ctx: RunContext) async -> Result<Job, JobError> {
        let path = spooler.spool.jobFile(ctx.run.id, in: .running)
        var waited = false
        while true {
            let result = readJob(path, display: ctx.run.displayName, digest: { ctx.jobDigest = $0 })
            guard case .failure(let error) = result, error.mayBeIncomplete, !waited else { return result }
            waited = true
            await waitUntilUnchanged(path, for: options.config.grace)
        }
    }

    func readJob(_ path: FilePath, display: String, digest: (JobDigest) -> Void = { _ in }) -> Result<Job, JobError> {
        let fd: Int32
        do { fd = try Sys.openQueued(path) } catch {
            return .failure(JobError(reason: .invalidValue, file: display, message: "cannot open the job file: \(error)",
                                     expected: "a readable regular file", mayBeIncomplete: false))
        }
        defer { Sys.close(fd) }
        guard let st = try? Sys.fstat(fd, path: path), st.isRegular else {
            return .failure(JobError(reason: .invalidValue, file: display, message: "the job is not a regular file",
                                     expected: "a regular file (not a symlink, FIFO or folder)", mayBeIncomplete: false))
        }
        let bytes: [UInt8]
        do { bytes = try Sys.read(fd, limit: JobLoader.maxFileSize + 1, path: path) } catch {
            return .failure(JobError(reason: .invalidValue, file: display, message: "cannot read the job file: \(error)",
                                     expected: nil, mayBeIncomplete: true))
        }
        digest(JobDigest(bytes))
        let roots = spooler.spool.workspaceRoots(options.config)
        do { return .success(try JobLoader.load(bytes, file: display, workspaceRoots: roots)) } catch { return .failure(error) }
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

    func waitUntilUnchanged(_ path: FilePath, for grace: Double) async {
        var last = try? Sys.stat(path)
        var stableSince = monotonicNow()
        let giveUp = stableSince + max(grace * 10, 30)
        while monotonicNow() - stableSince < grace && monotonicNow() < giveUp {
            try? await Task.sleep(for: .milliseconds(max(10, min(100, Int(grace * 250)))))
            let now = try? Sys.stat(path)
            if now?.size != last?.size || now?.mtime != last?.mtime {
                last = now
                stableSince = monotonicNow()
            }
        }
    }

    func rejectionFields(_ error: JobError, run: OwnedRun) -> [(String, JSON)] {
        var f: [(String, JSON)] = JSON.nameFields("file", run.name)
        if let l = error.line { f.append(("line", .int(l))) }
        if let c = error.column { f.append(("column", .int(c))) }
        f.append(("reason", .string(error.reason.rawValue)))
        f.append(("message", .string(error.message)))
        if let e = error.expected { f.append(("expected", .string(e))) }
        return f
    }

    /// Why an absolute `workspace:` cannot be used on this host, or nil. Relative workspaces are created when
    /// missing; absolute ones never are: an absolute path names a host's checkout or mount, and where it is
    /// missing the host is not set up for the job (creating it, even under an existing parent, would run the
    /// steps in an empty folder and `git init` a repository nobody reads).
    func missingAbsoluteWorkspace(_ job: Job, _ path: String) -> String? {
        guard let ws = job.workspace, ws.hasPrefix("/") else { return nil }
        let host = spooler.actor.host
        switch Result(catching: { () throws(SysError) in try Sys.stat(FilePath(path)) }) {
        case .success(let st) where st.isDirectory: return nil
        case .success:
            return "workspace \(path) on host \(host) is not a folder; point `workspace:` at a folder"
        case .failure(let e) where e.errno == ENOENT || e.errno == ENOTDIR:
            return "workspace \(path) does not exist on host \(host); create or mount it there, or use a path relative to the spool root"
        case .failure(let e):
            return "workspace \(path) on host \(host) cannot be used: \(e)"
        }
    }

    func workspacePath(_ job: Job, run: RunID) -> String {
        let root = spooler.spool.root.display
        guard let ws = job.workspace, !ws.isEmpty else { return "\(root)/workspaces/\(run)" }
        let joined = ws.hasPrefix("/") ? ws : "\(root)/\(ws)"
        return URL(fileURLWithPath: joined).standardizedFileURL.path
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
