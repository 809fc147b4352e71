#if canImport(Glibc)
import Glibc
#endif

/// What one recovery pass did, for logs and tests.
public struct RecoveryReport: Sendable, Equatable {
    public var requeued: [RunID] = []
    public var failed: [RunID] = []
    public var rolledForward: [RunID] = []
    public var relinked: [RunID] = []
    /// Children whose spawn was cut between its link and its rename, delivered now.
    public var spawnsCompleted: [RunID] = []
    /// Parked runs released now: their condition held (or their deadline passed, or they were stopped).
    public var released: [RunID] = []
    /// Releases cut short by a crash, completed now.
    public var releasesCompleted: [RunID] = []
    public var removedLeftovers: [String] = []
    public var errors: [String] = []
    public init() {}
    public var isEmpty: Bool { self == RecoveryReport() }
}

extension Spooler {
    /// Completes or rolls back every interrupted transition in `cur/`. Safe to run at any time, by any
    /// number of workers at once: every step is a rename that only one actor can win, and nothing younger
    /// than a lease is touched. Runs at start-up and then on every reaper tick.
    ///
    /// For each run id found in `cur/`:
    /// - job + lease: running; if the lease is stale, `reap` it (requeue, or fail after `max_attempts`).
    /// - job + token: a finish or requeue in progress; once the token is stale, take it over and roll forward.
    /// - job alone (someone deleted its lease): give it a fresh lease, so it is reaped if nobody owns it.
    /// - no job: leftovers of a move that already committed; companions follow the job file, stale
    ///   leases and tokens are removed.
    /// Then spawns cut between their link and their rename are delivered (`completeCutSpawns`), releases cut
    /// short are completed (`completeCutReleases`), and parked runs whose condition holds are released.
    ///
    /// `sparing` holds the lease inodes the calling worker itself holds and renews: those are never reaped
    /// by their own worker, however their mtimes look.
    public func recover(sparing held: Set<UInt64> = []) -> RecoveryReport {
        var report = RecoveryReport()
        guard let entries = try? Sys.listDirectory(spool.cur), let now = try? fsClock.now() else {
            report.errors.append("cannot read \(spool.cur.display)")
            return report
        }
        var groups: [RunID: [String]] = [:]
        for entry in entries {
            guard let file = RunFileName(entry.name) else { continue }
            groups[file.run, default: []].append(file.suffix)
        }
        for (run, suffixes) in groups {
            do { try recover(run, suffixes: Set(suffixes), now: now, sparing: held, report: &report) }
            catch { report.errors.append("\(run): \(error)") }
        }
        completeCutSpawns(now: now, report: &report)
        completeCutReleases(now: now, report: &report)
        report.released = releaseReady()
        return report
    }

    func recover(_ run: RunID, suffixes: Set<String>, now: Double, sparing held: Set<UInt64> = [],
                 report: inout RecoveryReport) throws(SpoolError) {
        let hasJob = suffixes.contains("yaml")
        let tokens = suffixes.filter { s in TokenKind.allCases.contains { s.hasPrefix($0.rawValue + ".") } }.sorted()
        let leaseStat = suffixes.contains("lease") ? try? Sys.lstat(spool.leaseFile(run)) : nil

        if hasJob {
            if let lease = leaseStat {
                guard isStale(lease, now: now), !held.contains(lease.inode) else { return }
                let attempts = RunHistory.read(spool.eventsFile(run, in: .running)).claims
                let limit = attemptLimit(run)
                try reap(run, lease: lease, now: now)
                if (try? Sys.lstat(spool.jobFile(run, in: .running))) == nil {
                    if attempts >= limit || (try? Sys.lstat(spool.jobFile(run, in: .done))) != nil {
                        report.failed.append(run)
                    } else {
                        report.requeued.append(run)
                    }
                }
            } else if let tokenName = tokens.last {
                try rollForward(run, tokenName: tokenName, now: now, report: &report)
            } else {
                // A job in cur/ with neither lease nor token is never left by our own steps (someone deleted
                // the lease). A directory listing is not a snapshot, though: a claim or finish running right
                // now can look like this for a moment. So only a job that has sat in cur/ for a whole lease
                // (its ctime, set by the rename) is adopted, with a lease nobody heartbeats: the normal
                // stale-lease path then requeues it one lease later.
                let job = spool.jobFile(run, in: .running)
                guard let st = try? Sys.lstat(job), now - st.ctime > leaseDuration,
                      (try? Sys.lstat(spool.leaseFile(run))) == nil else { return }
                let orphan = Actor(host: "recovery", pid: 0)
                if let lease = try? Spooler(spool: spool, actor: orphan, clock: clock, fsClock: fsClock, faults: faults)
                    .createLease(run, name: Array("\(run).yaml".utf8), attempt: 0) {
                    lease.close()
                    if (try? Sys.lstat(job)) == nil { unlinkIfPresent(spool.leaseFile(run)) }
                }
            }
            return
        }

        // No job in cur/: the move already committed (or the claim never happened). Companions follow the job.
        let target = [RunState.done, .waiting, .queued].first { (try? Sys.lstat(spool.jobFile(run, in: $0))) != nil }
        if let target {
            var moved = false
            if suffixes.contains("artifacts") {
                do { try Sys.rename(spool.artifactsDir(run, in: .running), spool.artifactsDir(run, in: target)); moved = true } catch {}
            }
            if suffixes.contains("events.jsonl") {
                do { try Sys.rename(spool.eventsFile(run, in: .running), spool.eventsFile(run, in: target)); moved = true } catch {}
            }
            if moved { report.relinked.append(run) }
        }
        for name in tokens + (leaseStat != nil ? ["lease"] : []) {
            let path = spool.cur.appending("\(run).\(name)")
            if let st = try? Sys.lstat(path), isStale(st, now: now) {
                unlinkIfPresent(path)
                report.removedLeftovers.append("\(run).\(name)")
            }
        }
    }

    /// Takes over a stale `finishing` or `requeueing` token and completes that move.
    func rollForward(_ run: RunID, tokenName: String, now: Double, report: inout RecoveryReport) throws(SpoolError) {
        let old = spool.cur.appending("\(run).\(tokenName)")
        guard let st = try? Sys.lstat(old), isStale(st, now: now) else { return }
        guard let kind = TokenKind.allCases.first(where: { tokenName.hasPrefix($0.rawValue + ".") }) else { return }
        let mine = spool.token(kind, run, actor: actor)
        do {
            guard try renameClaiming(old, mine, mine: { (try? Sys.lstat(mine))?.inode == st.inode }) else { return }
            try? Sys.touch(mine)
            // The events file may already have moved ahead of the job file.
            let condition = kind == .parking ? readCondition(spool.waitCondition(run)) : nil
            // A park whose condition file is gone cannot be completed: the run goes back to the queue instead.
            let target: RunState = switch kind {
            case .finishing: .done
            case .parking where condition != nil: .waiting
            default: .queued
            }
            guard let eventsPath = spool.eventsPath(of: run) else {
                try completeMove(run, to: target, token: mine)
                report.rolledForward.append(run)
                return
            }
            let history = RunHistory.read(eventsPath)
            let log = try EventLog(path: eventsPath, run: run, clock: clock, faults: faults)
            switch kind {
            case .finishing:
                if !history.currentAttemptHas(.finished) {
                    let started = history.claimTime ?? clock.now()
                    let duration: (String, JSON) = ("duration", .double(((clock.now() - started) * 1000).rounded() / 1000))
                    if let (status, fields) = recordedIntent(mine) {
                        try log.append(.finished, [("status", .string(status.rawValue)), duration] + fields
                                       + [("recovered_by", .string(actor.id))])
                    } else {
                        try log.append(.finished, [
                            ("status", .string(RunStatus.failed.rawValue)), duration,
                            ("reason", .string("the worker died while finishing this run; its final status is unknown")),
                            ("recovered_by", .string(actor.id)),
                        ])
                    }
                    try syncIfDurable(log)
                }
            case .parking where condition != nil:
                if !history.parked, let c = condition {
                    try log.append(.waitStarted, c.startedFields + [("recovered_by", .string(actor.id))])
                    try syncIfDurable(log)
                }
            case .requeueing, .parking:
                if !history.currentAttemptHas(.requeued) {
                    try log.append(.requeued, [("reason", .string(RequeueReason.leaseExpired.rawValue)),
                                                ("next_attempt", .int(history.claims + 1)),
                                                ("by", .string(actor.id))])
                    try syncIfDurable(log)
                }
            }
            try completeMove(run, to: target, token: mine)
            report.rolledForward.append(run)
        } catch {
            throw .io(error, hint: "recovery of \(run) will be retried on the next pass")
        }
    }
}
