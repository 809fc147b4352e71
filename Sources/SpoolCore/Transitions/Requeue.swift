#if canImport(Glibc)
import Glibc
#endif

/// Why a run went back to `new/`.
public enum RequeueReason: String, Sendable {
    /// Its worker stopped heartbeating (crashed, hung, or lost the file system) for longer than the lease.
    case leaseExpired = "lease-expired"
    /// Its worker was shut down (SIGTERM) before the run finished.
    case workerShutdown = "worker-shutdown"
    /// Its worker could not write its events (disk full, I/O error).
    case eventLogFailed = "event-log-failed"
    /// The disk (or the user's quota) was full while the run prepared its workspace; it is tried again later.
    case diskFull = "disk-full"
}

extension Spooler {
    /// Gives an owned run back to the queue (the worker is shutting down, or the disk was full). Returns false
    /// if it was not ours any more.
    public func requeue(_ run: OwnedRun, reason: RequeueReason) throws(SpoolError) -> Bool {
        guard owns(run) else { return false }
        return try requeue(run.id, leaseInode: run.leaseInode, staleCheck: nil, reason: reason, log: run.events)
    }

    /// Takes over a run whose lease is stale and requeues it, or fails it when `max_attempts` is used up.
    ///
    /// 1. `rename(cur/RUN.lease, cur/RUN.requeueing.ACTOR)` — exactly one reaper wins; then re-check that the
    ///    token is still stale (the owner may have heartbeated through its fd in between) and give it back if not.
    /// 2. `utimensat(token)`.
    /// 3. append `requeued` (with the next attempt number).
    /// 4. `rename` artifacts and events into `new/`.
    /// 5. `rename(cur/RUN.yaml, new/RUN.yaml)` — the commit; the run is claimable again under the same id.
    /// 6. `unlink` the token.
    /// When the attempts are used up the same steps run with a `finishing` token and a `finished` event
    /// (status `failed`), into `done/`.
    public func reap(_ run: RunID, lease: FileStat, now: Double) throws(SpoolError) {
        let eventsPath = spool.eventsPath(of: run) ?? spool.eventsFile(run, in: .running)
        // A claim that could not write its `claimed` event still counts: its lease records the attempt.
        let attempts = max(RunHistory.read(eventsPath).claims, leaseRecord(spool.leaseFile(run))?["attempt"]?.intValue ?? 0)
        let limit = attemptLimit(run)
        if attempts >= limit {
            try failExhausted(run, lease: lease, now: now, attempts: attempts)
            return
        }
        let log: EventLog
        do { log = try EventLog(path: eventsPath, run: run, clock: clock, faults: faults) }
        catch { throw .eventLog(error, run: run) }
        _ = try requeue(run, leaseInode: lease.inode, staleCheck: now, reason: .leaseExpired, log: log)
    }

    func requeue(_ run: RunID, leaseInode: UInt64, staleCheck: Double?, reason: RequeueReason, log: EventLog) throws(SpoolError) -> Bool {
        let token = spool.token(.requeueing, run, actor: actor)
        do {
            guard try takeToken(run, token: token, leaseInode: leaseInode, staleCheck: staleCheck) else { return false }
            faults.crash(at: .requeueTokenTaken)
            try logHolding(token, run) { () throws(SysError) in
                try restoreClaimEvents(run, token: token, log: log)
                let attempts = RunHistory.read(log.path).claims
                try log.append(.requeued, [("reason", .string(reason.rawValue)), ("next_attempt", .int(attempts + 1)),
                                            ("by", .string(actor.id))])
                try syncIfDurable(log)
            }
            faults.crash(at: .requeueEventWritten)
            try completeMove(run, to: .queued, token: token)
            return true
        } catch {
            throw SpoolError.from(error, call: "requeue", path: run.rawValue, hint: "the run stays in cur/; a worker's recovery completes the move")
        }
    }

    /// Renames the lease to `token` if it is still the inode we judged; with `staleCheck`, also requires
    /// that the lease is still stale after the rename (an owner that woke up keeps its run).
    func takeToken(_ run: RunID, token: FilePath, leaseInode: UInt64, staleCheck: Double?) throws(SysError) -> Bool {
        let lease = spool.leaseFile(run)
        guard (try? Sys.lstat(lease))?.inode == leaseInode else { return false }
        let took = try renameClaiming(lease, token) { (try? Sys.lstat(token))?.inode == leaseInode }
        guard took else { return false }
        guard let st = try? Sys.lstat(token), st.inode == leaseInode else {
            try? Sys.rename(token, lease)
            return false
        }
        if staleCheck != nil {
            let now = (try? fsClock.now()) ?? 0
            if !isStale(st, now: now) {
                try? Sys.rename(token, lease)
                return false
            }
            // The owner is gone: whoever runs the spooler ends its step (the worker's recovery does), so it
            // does not keep running beside the next attempt.
            onTakeover?(run, recordedStepProcess(token))
        }
        try? Sys.touch(token)
        return true
    }

    func failExhausted(_ run: RunID, lease: FileStat, now: Double, attempts: Int) throws(SpoolError) {
        let token = spool.token(.finishing, run, actor: actor)
        do {
            guard try takeToken(run, token: token, leaseInode: lease.inode, staleCheck: now) else { return }
            faults.crash(at: .finishTokenTaken)
            let eventsPath = spool.eventsPath(of: run) ?? spool.eventsFile(run, in: .running)
            let log = try EventLog(path: eventsPath, run: run, clock: clock, faults: faults)
            try logHolding(token, run) { () throws(SysError) in
                try restoreClaimEvents(run, token: token, log: log)
                let claimed = RunHistory.read(log.path).firstClaimTime ?? clock.now()
                try log.append(.finished, [
                    ("status", .string(RunStatus.failed.rawValue)),
                    ("duration", .double(((clock.now() - claimed) * 1000).rounded() / 1000)),
                    ("reason", .string("lease expired on attempt \(attempts) of \(attempts); the worker running it stopped heartbeating")),
                ])
                try syncIfDurable(log)
            }
            faults.crash(at: .finishEventWritten)
            try completeMove(run, to: .done, token: token)
        } catch {
            throw SpoolError.from(error, call: "reap", path: run.rawValue, hint: "the run stays in cur/; a worker's recovery completes the move")
        }
    }

    /// How many claims a run may have: what its worker recorded in the lease from the job file, else the
    /// spool's `max_attempts` (a worker that died before it read the job file recorded nothing).
    func attemptLimit(_ run: RunID) -> Int {
        recordedMaxAttempts(spool.leaseFile(run)) ?? maxAttempts
    }

    /// A claim whose events could not be written (disk full) left only its lease. Once a reaper holds the
    /// run's token (the lease renamed), and before it writes anything else, it writes the `queued` (fresh
    /// files only) and `claimed` events from what the lease recorded, so the run keeps its name, its queue
    /// time and its attempt count. Nothing is written when the events are there already.
    func restoreClaimEvents(_ run: RunID, token: FilePath, log: EventLog) throws(SysError) {
        guard let lease = leaseRecord(token), let attempt = lease["attempt"]?.intValue, attempt > 0 else { return }
        let history = RunHistory.read(log.path)
        guard history.claims < attempt else { return }
        let recovered: (String, JSON) = ("recovered_by", .string(actor.id))
        if history.queued == nil, let queuedAt = lease["queued_at"] {
            var fields: [(String, JSON)] = [("name", lease["name"] ?? .string("\(run).yaml"))]
            if let raw = lease["name_b64"] { fields.append(("name_b64", raw)) }
            try log.append(.queued, fields + [("queued_at", queuedAt), recovered])
        }
        var claimed: [(String, JSON)] = [("attempt", .int(attempt))]
        for key in ["worker", "host", "pid", "claimed_at"] { if let v = lease[key] { claimed.append((key, v)) } }
        try log.append(.claimed, claimed + [recovered])
    }

    /// The claim a lease (or the token it became) records on its first line.
    func leaseRecord(_ path: FilePath) -> JSON? {
        leaseEntries(path).first
    }
}
