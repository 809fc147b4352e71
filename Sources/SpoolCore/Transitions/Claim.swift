#if canImport(Glibc)
import Glibc
#endif

extension Spooler {
    /// Claims the job file `new/NAME`. Returns nil when another worker got it first or it is not a regular file.
    ///
    /// A fresh file (any name) gets a new run id; a file named `RUN.yaml` (submitted, requeued or retried)
    /// keeps its id. A `RUN.yaml` whose run has finished (its job or events are in `done/`: someone copied or
    /// moved a finished job back to rerun it) becomes a new run whose `queued` event names the old one as
    /// `previous`, as `retry` does; one whose run is still in `cur/` waits until that run has left.
    /// Steps, in order:
    /// 1. `open(cur/RUN.lease, O_CREAT|O_EXCL)` — the lease, written before the claim so a claimed run always has one.
    /// 2. `rename(new/NAME, cur/RUN.yaml)` — the claim itself. ENOENT with our target present is NFS's lost reply: we won.
    /// 3. `rename(new/RUN.events.jsonl, cur/…)` and `rename(new/RUN.artifacts, cur/…)` — only for runs with history.
    /// 4. append `queued` (fresh files only) and `claimed` to `cur/RUN.events.jsonl`.
    /// 5. `fsync(cur/)` (`durability: fsync`), before the caller starts the run. With `sync: false` the
    ///    caller does it (`syncClaims()`) off its own loop, before the run starts.
    public func claim(name: [UInt8], sync: Bool = true) throws(SpoolError) -> OwnedRun? {
        let source = spool.new.appending(bytes: name)
        guard let st = try? Sys.lstat(source), st.isRegular else { return nil }
        var existing = JobName.runID(name)
        var previous: RunID?
        if let id = existing {
            // cur/ first: a finish in progress moves the job to done/ last, so once cur/ has no job,
            // done/ already shows whether the run finished.
            if (try? Sys.lstat(spool.jobFile(id, in: .running))) != nil { return nil }
            if hasFinished(id) {
                previous = id
                existing = nil
            }
        }
        let now = clock.now()
        let run = existing ?? RunID.make(now: now, host: actor.host)

        // History of a run that already has an id: its display name and how many times it was claimed.
        var displayName = name
        var attempt = 1
        var parent: RunID?
        if let previous, let old = try? EventReader.read(spool.eventsFile(previous, in: .done)),
           let n = old.first(where: { $0.eventType == .queued })?["name"]?.stringValue {
            displayName = Array(n.utf8)
        }
        if existing != nil, let path = spool.eventsPath(of: run),
           let events = try? EventReader.read(path) {
            let history = RunHistory(events)
            // A run released from a wait goes on with the attempt it parked in.
            attempt = history.resumePending ? max(history.attempt, 1) : history.claims + 1
            parent = history.parent.flatMap(RunID.init)
            if let first = events.first(where: { $0.eventType == .queued }), let n = first["name"]?.stringValue {
                displayName = Array(n.utf8)
            }
        }

        do {
            let queuedAt = existing == nil ? st.mtime : nil
            // The handle closes the lease's fd on every way out of here, thrown or returned, except the last,
            // which hands it to the OwnedRun.
            guard var lease = try createLease(run, name: displayName, attempt: attempt, queuedAt: queuedAt) else { return nil }
            faults.crash(at: .claimLeaseCreated)
            let target = spool.jobFile(run, in: .running)
            let inode = lease.inode
            let won: Bool
            do {
                won = try renameClaiming(source, target, lostReplyFault: "claim") {
                    (try? Sys.lstat(spool.leaseFile(run)))?.inode == inode
                }
            } catch {
                // Not claimed (the file is still in new/): take our lease back before reporting.
                if (try? Sys.lstat(spool.leaseFile(run)))?.inode == inode { unlinkIfPresent(spool.leaseFile(run)) }
                throw error
            }
            guard won else {
                if (try? Sys.lstat(spool.leaseFile(run)))?.inode == inode { unlinkIfPresent(spool.leaseFile(run)) }
                return nil
            }
            faults.crash(at: .claimRenamed)
            // Stopped for longer than a lease between steps 1 and 2? Then a reaper removed our lease as an
            // orphan: take a new one, or walk away if another actor holds it now.
            if (try? Sys.lstat(spool.leaseFile(run)))?.inode != inode {
                lease.close()
                guard let again = try createLease(run, name: displayName, attempt: attempt, queuedAt: queuedAt) else { return nil }
                lease = again
            }
            if existing != nil {
                try moveIfPresent(spool.eventsFile(run, in: .queued), spool.eventsFile(run, in: .running))
                try moveIfPresent(spool.artifactsDir(run, in: .queued), spool.artifactsDir(run, in: .running))
                faults.crash(at: .claimCompanionsMoved)
            }
            let log = try EventLog(path: spool.eventsFile(run, in: .running), run: run, clock: clock, faults: faults)
            do {
                if existing == nil {
                    try log.append(.queued, JSON.nameFields("name", displayName) + [
                        ("queued_at", .string(Timestamp.rfc3339(st.mtime))),
                    ] + (previous.map { [("previous", .string($0.rawValue))] } ?? []))
                }
                try log.append(.claimed, [
                    ("attempt", .int(attempt)), ("worker", .string(actor.id)),
                    ("host", .string(actor.host)), ("pid", .int(Int(actor.pid))),
                ])
            } catch {
                // The run is ours but unloggable (disk full): keep the lease file so it is requeued once stale.
                // The lease holds what these events would have said; the reaper writes them first.
                throw SpoolError.eventLog(error, run: run)
            }
            faults.crash(at: .claimEventWritten)
            if let previous { linkRerun(previous, next: run, claimed: spool.jobFile(run, in: .running)) }
            // Make the claim survive a power cut before the run does anything: a rename that the journal
            // never committed would put the job back in new/, and it would run twice.
            if sync {
                // On failure, as above: the lease file stays, and the run is requeued once it is stale.
                try syncFolderIfDurable(.running)
            }
            return OwnedRun(id: run, name: displayName, attempt: attempt, parent: parent, lease: lease, events: log, claimedAt: now)
        } catch {
            throw SpoolError.from(error, call: "claim", path: source.display, hint: "check permissions and free space in the spool")
        }
    }

    /// Step 5 of `claim` for claims made with `sync: false`: one `fsync(cur/)` makes every claim so far durable.
    public func syncClaims() throws(SpoolError) {
        do throws(SysError) { try syncFolderIfDurable(.running) } catch {
            throw SpoolError.from(error, call: "fsync", path: spool.cur.display, hint: "check the spool's disk")
        }
    }

    /// True when `run` has finished: its job file or its events are in `done/`.
    func hasFinished(_ run: RunID) -> Bool {
        (try? Sys.lstat(spool.jobFile(run, in: .done))) != nil || (try? Sys.lstat(spool.eventsFile(run, in: .done))) != nil
    }

    /// A finished run's job file was put back in `new/` and claimed as `next`: the old run gets a `retried`
    /// event naming the new one, and, when the job file was moved rather than copied, a copy of it again,
    /// so the old run stays whole. Best effort: the new run's `previous` already links the two.
    func linkRerun(_ old: RunID, next: RunID, claimed: FilePath) {
        if let log = try? EventLog(path: spool.eventsFile(old, in: .done), run: old, clock: clock, faults: faults) {
            _ = try? log.append(.retried, [("next", .string(next.rawValue)), ("by", .string(actor.id)),
                                           ("reason", .string("its job file was put back in new/"))])
        }
        let oldJob = spool.jobFile(old, in: .done)
        guard (try? Sys.lstat(oldJob)) == nil, let bytes = try? Sys.readQueued(claimed, limit: 1 << 21) else { return }
        let staged = spool.tmp.appending(".\(old).yaml.\(actor.id)")
        do throws(SysError) {
            try Sys.writeFile(staged, bytes, flags: O_WRONLY | O_CREAT | O_TRUNC)
            try Sys.link(staged, oldJob)
        } catch {}
        unlinkIfPresent(staged)
    }
}
