#if canImport(Glibc)
import Glibc
#endif

/// How a run ended.
public enum RunStatus: String, Sendable, CaseIterable, Codable {
    case succeeded, failed, stopped, rejected
}

extension Spooler {
    /// Moves an owned run to `done/`. Returns false, writing nothing, when the run is no longer ours.
    ///
    /// 0. append the outcome (`{"finishing":{"status":…}}`) to the lease through its fd, so that recovery
    ///    can finish the run with its real status if this worker dies before step 3.
    /// 1. `rename(cur/RUN.lease, cur/RUN.finishing.ACTOR)` — from here no reaper can take the run; if the
    ///    lease is gone or not ours, another worker took over and we stop.
    /// 2. `utimensat(token)` — a fresh mtime, so recovery waits a full lease before rolling a crashed finish forward.
    /// 3. append `finished`, then `fsync` the events file (`durability: fsync`).
    /// 4. `rename` the artifacts folder, then the events file, into `done/`.
    /// 5. `rename(cur/RUN.yaml, done/RUN.yaml)` — the job file moves last: this is the commit.
    /// 6. `unlink` the token and the run's control files.
    public func finish(_ run: OwnedRun, status: RunStatus, fields: [(String, JSON)] = []) throws(SpoolError) -> Bool {
        let token = spool.token(.finishing, run.id, actor: actor)
        do {
            guard owns(run) else { return false }
            recordIntent(run, status: status, fields: fields)
            let took = try renameClaiming(spool.leaseFile(run.id), token) {
                (try? Sys.lstat(token))?.inode == run.leaseInode
            }
            guard took else { return false }
            if (try? Sys.lstat(token))?.inode != run.leaseInode {
                // We renamed a lease that another worker created after ours expired: give it back.
                try? Sys.rename(token, spool.leaseFile(run.id))
                return false
            }
            faults.crash(at: .finishTokenTaken)
            try? Sys.touch(token)
            let duration = max(0, monotonicNow() - run.claimedMonotonic)
            try logHolding(token, run.id) { () throws(SysError) in
                try run.events.append(.finished, [("status", .string(status.rawValue)),
                                                   ("duration", .double((duration * 1000).rounded() / 1000))] + fields)
                try syncIfDurable(run.events)
            }
            faults.crash(at: .finishEventWritten)
            try completeMove(run.id, to: .done, token: token)
            return true
        } catch {
            throw SpoolError.from(error, call: "finish", path: run.id.rawValue, hint: "the run stays in cur/; a worker's recovery completes the move")
        }
    }

    /// A transition's events, written while it holds `token` (the renamed lease). If they cannot be written
    /// (a full disk), nothing is marked: the lease goes back, so the run is requeued once it is stale.
    func logHolding(_ token: FilePath, _ run: RunID, _ write: () throws(SysError) -> Void) throws(SpoolError) {
        do throws(SysError) { try write() } catch {
            try? Sys.rename(token, spool.leaseFile(run))
            throw .eventLog(error, run: run)
        }
    }

    /// Step 0 of `finish`: one line appended to the lease file. Best effort; without it recovery ends a
    /// crashed finish as `failed` with "status unknown".
    func recordIntent(_ run: OwnedRun, status: RunStatus, fields: [(String, JSON)]) {
        appendToLease(run, JSON.object([("finishing", .object([("status", .string(status.rawValue))] + fields))]))
    }

    /// The outcome a crashed finisher recorded in its lease (now its token), if any.
    func recordedIntent(_ token: FilePath) -> (RunStatus, [(String, JSON)])? {
        for entry in leaseEntries(token).reversed() {
            guard let intent = entry["finishing"], case .object(let fields) = intent,
                  let status = intent["status"]?.stringValue.flatMap(RunStatus.init(rawValue:)) else { continue }
            return (status, fields.filter { $0.0 != "status" })
        }
        return nil
    }

    /// The crash points between the steps of one kind of move.
    struct MovePoints {
        var companions: CrashPoint?
        var events: CrashPoint
        var job: CrashPoint
        static let finish = MovePoints(companions: .finishArtifactsMoved, events: .finishEventsMoved, job: .finishJobMoved)
        static let requeue = MovePoints(companions: nil, events: .requeueCompanionsMoved, job: .requeueJobMoved)
        static let park = MovePoints(companions: nil, events: .parkCompanionsMoved, job: .parkJobMoved)
        static let release = MovePoints(companions: nil, events: .releaseCompanionsMoved, job: .releaseJobMoved)
    }

    /// Steps 4–6 of `finish` and `requeue` (and the last steps of `park` and `release`): companions first
    /// (from whichever folder they are in), the job file last, then the token. Every step tolerates having
    /// been done already, so recovery can repeat the whole sequence after a crash at any point.
    func completeMove(_ run: RunID, from source: RunState = .running, to state: RunState, token: FilePath) throws(SysError) {
        let points: MovePoints = switch (source, state) {
        case (.waiting, _): .release
        case (_, .done): .finish
        case (_, .waiting): .park
        default: .requeue
        }
        for from in RunState.allCases where from != state {
            try moveIfPresent(spool.artifactsDir(run, in: from), spool.artifactsDir(run, in: state))
        }
        if let point = points.companions { faults.crash(at: point) }
        for from in RunState.allCases where from != state {
            try moveIfPresent(spool.eventsFile(run, in: from), spool.eventsFile(run, in: state))
        }
        faults.crash(at: points.events)
        try moveIfPresent(spool.jobFile(run, in: source), spool.jobFile(run, in: state))
        // The token goes only once the move is on disk: after a power cut, a run is either in its new
        // folder or still has its token for recovery to complete.
        try syncFolderIfDurable(state)
        faults.crash(at: points.job)
        unlinkIfPresent(token)
        if state == .done {
            for kind in ControlKind.allCases { unlinkIfPresent(spool.controlFile(run, kind)) }
            // A park cut before it took the lease leaves its condition; a finished run waits for nothing.
            unlinkIfPresent(spool.waitCondition(run))
        }
    }
}
