import Foundation
import GitKit
import JobSpec
import LLM
import SpoolCore

/// A run that is ready for its steps: the job as read, its folders, its git worktree and environment.
enum RunPreparation {
    /// `/proc/self/exe` resolved, read once.
    static let ownExecutable: String = {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "/proc/self/exe"
    }()
}

struct PreparedRun: Sendable {
    let job: Job
    /// The job's workspace; with git, the repository the run's worktree belongs to.
    let workspace: String
    /// Where the steps run: the worktree, or the workspace itself without git.
    let workdir: String
    let artifacts: FilePath
    let git: GitSession?
    let commitMode: GitSettings.CommitMode
    /// The job's `timeout` as a monotonic time.
    let deadline: Double?
    let environment: [String: String]
}

/// What preparing a run came to: ready for its steps, or already ended (rejected, stopped before it
/// started, no steps, a workspace or worktree that cannot be used, a full disk).
enum Preparation: Sendable {
    case ready(PreparedRun)
    case ended(RunEnd)
}

extension RunExecutor {
    /// Makes the claim durable, reads and validates the job, writes `started`, then creates the workspace
    /// and artifacts folders and opens the git worktree.
    func prepare(_ ctx: RunContext) async -> Preparation {
        let run = ctx.run
        // The claim's step 5: nothing of the run happens before its claim is on disk (no thread where there
        // is nothing to sync).
        if spooler.durability == .fsync,
           case .failure(let error) = await Blocking.run({ [spooler] () throws(SpoolError) in try spooler.syncClaims() }) {
            logger.error("claimed \(run.displayName) but cannot make the claim durable, so it does not start: \(error); it is requeued once its lease is stale",
                         metadata: ["run": "\(run.id)"])
            return .ended(.logFailed)
        }
        let job: Job
        switch await load(ctx) {
        case .failure(let error):
            guard emit(ctx, .rejected, rejectionFields(error, run: run)) else { return .ended(abandon(ctx)) }
            logger.warning("rejected \(run.displayName): \(error)", metadata: ["run": "\(run.id)"])
            return .ended(await finish(ctx, .rejected, [("reason", .string(error.description))]))
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
        guard emit(ctx, .started, started) else { return .ended(abandon(ctx)) }
        if options.claimOnly { return .ended(await finish(ctx, .succeeded)) }
        if job.steps.isEmpty, ctx.control.refresh().stopFile {
            guard emit(ctx, .stopRequested, []) else { return .ended(abandon(ctx)) }
            return .ended(await finish(ctx, .stopped, [("reason", .string("stopped before it started"))]))
        }

        let artifacts = spooler.spool.artifactsDir(run.id, in: .running)
        // A job without steps needs no folders: nothing would run in them.
        if job.steps.isEmpty { return .ended(await finish(ctx, .succeeded)) }
        if let missing = missingAbsoluteWorkspace(job, workspace) {
            _ = emit(ctx, .error, [("message", .string(missing))])
            return .ended(await finish(ctx, .failed, [("reason", .string(missing))]))
        }
        do {
            try Sys.mkdirs(FilePath(workspace))
            try Sys.mkdir(artifacts)
        } catch where error.errno == ENOSPC || error.errno == EDQUOT {
            return .ended(await requeueDiskFull(ctx, error, maxAttempts: job.maxAttempts ?? options.config.maxAttempts))
        } catch {
            _ = emit(ctx, .error, [("message", .string("cannot prepare the run: \(error)"))])
            return .ended(await finish(ctx, .failed, [("reason", .string("cannot create the workspace or artifacts folder: \(error)"))]))
        }
        // Agent jobs (and jobs with a `git:` key) work on their own branch in their own worktree.
        var git: GitSession?
        let commitMode = job.git?.commit ?? .step
        if (job.hasAgentSteps || job.git != nil) && commitMode != .off {
            do {
                let session = try GitSession.open(job: job, repository: workspace, spool: spooler.spool, run: run.id, config: options.config)
                guard emit(ctx, .gitBranch, [("branch", .string(session.worktree.branch)), ("base", .string(session.worktree.baseCommit)),
                                             ("worktree", .string(session.worktree.path)), ("repository", .string(workspace))]) else {
                    return .ended(abandon(ctx))
                }
                git = session
            } catch {
                _ = emit(ctx, .gitError, [("message", .string(error.description))])
                return .ended(await finish(ctx, .failed, [("reason", .string("cannot prepare the run's git worktree: \(error)"))]))
            }
        }
        let workdir = git?.worktree.path ?? workspace
        var env = ProcessInfo.processInfo.environment
        // Provider keys are for the worker's own requests; steps and tools never see them.
        for name in ProviderCatalog.keyVariables(options.config) { env.removeValue(forKey: name) }
        for (k, v) in job.env { env[k] = v }
        env["AGENT_RUNNER_RUN_ID"] = run.id.rawValue
        env["AGENT_RUNNER_SPOOL"] = spooler.spool.root.display
        env["AGENT_RUNNER_WORKSPACE"] = workdir
        env["AGENT_RUNNER_ATTEMPT"] = String(run.attempt)
        env["AGENT_RUNNER_OUTPUT"] = artifacts.appending(RunResult.outputFile).display
        // This worker's own binary, so a step can run `"$AGENT_RUNNER_BIN" spawn …` without it on PATH.
        env["AGENT_RUNNER_BIN"] = RunPreparation.ownExecutable
        return .ready(PreparedRun(job: job, workspace: workspace, workdir: workdir, artifacts: artifacts, git: git,
                                  commitMode: commitMode, deadline: job.timeout.map { monotonicNow() + $0 }, environment: env))
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
