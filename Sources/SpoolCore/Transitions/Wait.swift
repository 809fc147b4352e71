#if canImport(Glibc)
import Glibc
#endif

/// What a parked run waits for, as `wait/RUN.wait` holds it (one JSON line).
public struct WaitCondition: Sendable, Equatable {
    /// The `wait:` step that parked the run.
    public var step: Int
    /// As written in the job: `all`, `any` or a number.
    public var mode: String
    /// How many of `children` must have finished.
    public var needed: Int
    public var children: [RunID]
    /// When the wait gives up, on the file system's clock.
    public var deadline: Double

    public init(step: Int, mode: String, needed: Int, children: [RunID], deadline: Double) {
        self.step = step
        self.mode = mode
        self.needed = needed
        self.children = children
        self.deadline = deadline
    }

    /// The fields of `wait.started` (the park adds `timeout`, a recovery `recovered_by`).
    var startedFields: [(String, JSON)] {
        [("step", .int(step)), ("wait", .string(mode)), ("needed", .int(needed)),
         ("children", .array(children.map { .string($0.rawValue) })), ("deadline", .string(Timestamp.rfc3339(deadline)))]
    }

    var json: JSON {
        .object([("step", .int(step)), ("mode", .string(mode)), ("needed", .int(needed)),
                 ("children", .array(children.map { .string($0.rawValue) })), ("deadline", .double(deadline))])
    }

    init?(json: JSON) {
        guard let step = json["step"]?.intValue, let mode = json["mode"]?.stringValue, let needed = json["needed"]?.intValue,
              case .array(let list)? = json["children"], let deadline = json["deadline"]?.doubleValue else { return nil }
        self.init(step: step, mode: mode, needed: needed, children: list.compactMap { $0.stringValue.flatMap(RunID.init) }, deadline: deadline)
    }
}

/// Why a parked run was released.
public enum ReleaseReason: String, Sendable {
    /// Enough of its children finished.
    case met
    /// Its deadline passed first.
    case deadline
    /// `agent-runner stop` was asked for it.
    case stopped
}

extension Spooler {
    /// Parks an owned run in `wait/` until `condition` holds: it holds no worker slot and no lease meanwhile.
    /// Returns false, having moved nothing, when the run is no longer ours.
    ///
    /// 1. write `wait/RUN.wait` (staged in `tmp/`, renamed in). — `park.condition-written`
    /// 2. `rename(cur/RUN.lease, cur/RUN.parking.ACTOR)`: from here no reaper takes the run. — `park.token-taken`
    /// 3. append `wait.started`, `fsync` the events. — `park.event-written`
    /// 4. move artifacts and events into `wait/` — `park.companions-moved`; then
    ///    `rename(cur/RUN.yaml, wait/RUN.yaml)`, the commit, and `fsync(wait/)` — `park.job-moved`.
    /// 5. `unlink` the token.
    public func park(_ run: OwnedRun, _ condition: WaitCondition, timeout: Double) throws(SpoolError) -> Bool {
        let token = spool.token(.parking, run.id, actor: actor)
        do {
            guard owns(run) else { return false }
            // Staged and fsynced like a job file: after a power cut the condition is whole or absent. The
            // job's move into wait/ fsyncs the folder.
            let staged = spool.tmp.appending(".\(run.id).wait.\(actor.id)")
            unlinkIfPresent(staged)
            try writeStaged(condition.json.encoded() + [0x0A], at: staged)
            try Sys.rename(staged, spool.waitCondition(run.id))
            faults.crash(at: .parkConditionWritten)
            guard try takeToken(run.id, token: token, leaseInode: run.leaseInode, staleCheck: nil) else { return false }
            faults.crash(at: .parkTokenTaken)
            try logHolding(token, run.id) { () throws(SysError) in
                try run.events.append(.waitStarted, condition.startedFields + [("timeout", .double(timeout))])
                try syncIfDurable(run.events)
            }
            faults.crash(at: .parkEventWritten)
            try completeMove(run.id, to: .waiting, token: token)
            return true
        } catch {
            throw SpoolError.from(error, call: "park", path: run.id.rawValue, hint: "the run stays in cur/; a worker's recovery completes the move")
        }
    }

    /// Releases every parked run whose condition holds, whose deadline passed, or that was asked to stop.
    /// Any actor may call it at any time: each release starts with a rename only one actor can win.
    /// Returns the runs this call released.
    @discardableResult
    public func releaseReady() -> [RunID] {
        guard let entries = try? Sys.listDirectory(spool.wait) else { return [] }
        // The file system's clock costs a probe write: read it once, and only for a wait that is not met.
        var now: Double?
        var released: [RunID] = []
        for entry in entries {
            guard let file = RunFileName(entry.name), file.suffix == "wait",
                  (try? Sys.lstat(spool.jobFile(file.run, in: .waiting))) != nil,
                  let condition = readCondition(spool.waitCondition(file.run)) else { continue }
            guard let reason = releaseReason(file.run, condition, now: {
                if now == nil { now = (try? fsClock.now()) ?? 0 }
                return now!
            }) else { continue }
            if (try? release(file.run, condition: condition, reason: reason)) == true { released.append(file.run) }
        }
        return released
    }

    /// Why `run` should be released now, or nil while it should go on waiting.
    func releaseReason(_ run: RunID, _ condition: WaitCondition, now: () -> Double) -> ReleaseReason? {
        if controls(run).stop { return .stopped }
        if isMet(condition) { return .met }
        if now() >= condition.deadline { return .deadline }
        return nil
    }

    /// Whether `needed` of the children have finished. Stops looking as soon as the answer is known, so a
    /// parent of many children costs few `lstat`s per release check while most of them are still running.
    public func isMet(_ condition: WaitCondition) -> Bool {
        var finished = 0, left = condition.children.count
        for child in condition.children {
            if finished >= condition.needed { return true }
            if finished + left < condition.needed { return false }
            if hasFinished(child) { finished += 1 }
            left -= 1
        }
        return finished >= condition.needed
    }

    public func finishedChildren(_ condition: WaitCondition) -> [RunID] {
        condition.children.filter { hasFinished($0) }
    }

    func readCondition(_ path: FilePath) -> WaitCondition? {
        guard let bytes = try? Sys.readFile(path, limit: 1 << 20) else { return nil }
        return JSON.parse(Array(bytes.prefix { $0 != 0x0A })).flatMap(WaitCondition.init(json:))
    }

    /// 1. `rename(wait/RUN.wait, wait/RUN.releasing.ACTOR)`: exactly one actor wins. — `release.token-taken`
    /// 2. append `wait.released` (reason, each child's status), `fsync` the events. — `release.event-written`
    /// 3. move artifacts and events into `new/` — `release.companions-moved`; then
    ///    `rename(wait/RUN.yaml, new/RUN.yaml)`, the commit, and `fsync(new/)` — `release.job-moved`.
    /// 4. `unlink` the token. The run is claimable again and goes on after its `wait:` step.
    func release(_ run: RunID, condition: WaitCondition, reason: ReleaseReason) throws(SysError) -> Bool {
        let token = spool.releaseToken(run, actor: actor)
        do throws(SysError) { try Sys.rename(spool.waitCondition(run), token) } catch where error.errno == ENOENT { return false }
        faults.crash(at: .releaseTokenTaken)
        do throws(SysError) {
            try writeReleased(run, condition: condition, reason: reason, recovered: false)
        } catch {
            // Nothing moved yet: give the condition back, so the next check (this actor's too) tries again.
            try? Sys.rename(token, spool.waitCondition(run))
            throw error
        }
        faults.crash(at: .releaseEventWritten)
        try completeMove(run, from: .waiting, to: .queued, token: token)
        removeParkingLeftovers(run)
        return true
    }

    /// A park cut after its job moved (or a power cut that undid the token's unlink) leaves
    /// `cur/RUN.parking.ACTOR`. Once the run is released it would sit beside the run's next claim, where a
    /// recovery might mistake it for that claim's move: the release removes it.
    func removeParkingLeftovers(_ run: RunID) {
        let prefix = Array("\(run).\(TokenKind.parking.rawValue).".utf8)
        for entry in (try? Sys.listDirectory(spool.cur)) ?? [] where entry.name.starts(with: prefix) {
            unlinkIfPresent(spool.cur.appending(bytes: entry.name))
        }
    }

    /// Step 2 of `release`, once: a recovery that completes a release cut after it writes nothing again.
    func writeReleased(_ run: RunID, condition: WaitCondition, reason: ReleaseReason, recovered: Bool) throws(SysError) {
        guard let path = spool.eventsPath(of: run) else { return }
        let history = RunHistory.read(path)
        guard history.parked else { return }
        let log = try EventLog(path: path, run: run, clock: clock, faults: faults)
        let finished = Set(finishedChildren(condition))
        let children: [JSON] = condition.children.map { child in
            let status = finished.contains(child)
                ? (RunHistory.read(spool.eventsFile(child, in: .done)).status?.rawValue ?? "finished") : "unfinished"
            return .object([("id", .string(child.rawValue)), ("status", .string(status))])
        }
        var fields: [(String, JSON)] = [
            ("step", .int(condition.step)), ("reason", .string(reason.rawValue)), ("finished", .int(finished.count)),
            ("needed", .int(condition.needed)), ("children", .array(children)), ("by", .string(actor.id)),
        ]
        if recovered { fields.append(("recovered_by", .string(actor.id))) }
        try log.append(.waitReleased, fields)
        try syncIfDurable(log)
    }

    /// Completes releases cut short: a `wait/RUN.releasing.ACTOR` token that has sat there for a whole lease
    /// (by its ctime, which the rename that made it set) is taken over and the release finished, unless it
    /// belongs to an earlier wait of the run (a condition is there again, or the run's last `wait.started`
    /// is another step): then it is garbage and goes. A condition file left by a park that died before its
    /// job moved is left alone: without a job in `wait/` nothing reads it, and the next park replaces it.
    /// Part of `recover()`.
    func completeCutReleases(now: Double, report: inout RecoveryReport) {
        guard let entries = try? Sys.listDirectory(spool.wait) else { return }
        for entry in entries {
            guard let file = RunFileName(entry.name), file.suffix.hasPrefix("releasing.") else { continue }
            let path = spool.wait.appending(bytes: entry.name)
            guard let st = try? Sys.lstat(path), now - st.ctime > leaseDuration else { continue }
            let mine = spool.releaseToken(file.run, actor: actor)
            // Our own token too: a release of ours that failed half-way is finished here.
            guard (try? renameClaiming(path, mine, mine: { (try? Sys.lstat(mine))?.inode == st.inode })) == true,
                  let condition = readCondition(mine) else { continue }
            // The job file's move out of wait/ is the release's commit. Once it has moved, the run may be
            // claimed and running already: nothing of it may move again, only the token goes.
            let jobWaits = (try? Sys.lstat(spool.jobFile(file.run, in: .waiting))) != nil
            let current = (try? Sys.lstat(spool.waitCondition(file.run))) == nil
                && spool.eventsPath(of: file.run).map { RunHistory.read($0).lastWaitStep == condition.step } == true
            guard jobWaits, current else {
                unlinkIfPresent(mine)
                report.removedLeftovers.append("wait/\(file.run).releasing")
                continue
            }
            do throws(SysError) {
                try writeReleased(file.run, condition: condition, reason: releaseReason(file.run, condition, now: { now }) ?? .met,
                                  recovered: true)
                try completeMove(file.run, from: .waiting, to: .queued, token: mine)
                removeParkingLeftovers(file.run)
                report.releasesCompleted.append(file.run)
            } catch {
                report.errors.append("\(file.run): cannot complete its release: \(error)")
            }
        }
    }

}
