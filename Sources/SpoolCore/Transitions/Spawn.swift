#if canImport(Glibc)
import Glibc
#endif

/// The limits a spawn checks before it writes anything. The runner enforces them, not the job or the model:
/// going over one is a `SpoolError.spawnLimit` that names it.
public struct SpawnLimits: Sendable, Equatable {
    /// How deep a child may be under the first run that spawned (its own children are at depth 1).
    public var maxDepth = 3
    /// How many children one run may spawn, over all its attempts.
    public var maxChildren = 20
    public init(maxDepth: Int = 3, maxChildren: Int = 20) {
        self.maxDepth = maxDepth
        self.maxChildren = maxChildren
    }

    /// These limits, or lower ones: what a spawning job may ask for. It can never raise them.
    public func lowered(maxDepth depth: Int, maxChildren children: Int) -> SpawnLimits {
        SpawnLimits(maxDepth: min(maxDepth, depth), maxChildren: min(maxChildren, children))
    }
}

/// What a spawn did.
public struct Spawned: Sendable, Equatable {
    public let child: RunID
    /// False when this call delivered the child (or completed a delivery cut short); true when the parent
    /// had spawned it already, so nothing was written.
    public let alreadySpawned: Bool
}

extension Spooler {
    /// Queues a child of the running run `parent`, exactly once per (parent, step, key): the parent may call
    /// this again after a crash, a takeover or a replay of its step, and gets the same child without a
    /// second one ever being queued. The job must be validated by the caller.
    ///
    /// 1. if `children/PARENT/CHILD.yaml` exists, go to 5; else check the limits and `mkdir(children/PARENT)`.
    /// 2. append `queued` (with `parent`, `step`, `key`, `depth`) to `new/CHILD.events.jsonl`, unless it
    ///    holds one already. — `spawn.event-written`
    /// 3. write `tmp/CHILD.yaml` (`O_EXCL`), `fsync` it. — `spawn.staged`
    /// 4. `link(tmp/CHILD.yaml, children/PARENT/CHILD.yaml)`: the spawn's commit. EEXIST means another
    ///    call won: ours is dropped. — `spawn.linked`
    /// 5. when `tmp/CHILD.yaml` is the ledger entry's inode: `rename(tmp/CHILD.yaml, new/CHILD.yaml)`,
    ///    then `fsync(new/)` (`durability: fsync`). The staged name is left only by this rename, so a child
    ///    is delivered once however many calls (or recoveries) complete it. — `spawn.delivered`
    /// The parent's worker then writes `child.spawned` (`unrecordedSpawns`): it alone writes the parent's events.
    public func spawn(_ bytes: [UInt8], parent: RunID, step: Int, key: String, name: [UInt8],
                      limits: SpawnLimits = SpawnLimits()) throws(SpoolError) -> Spawned {
        guard let parentEvents = spool.locate({ spool.eventsFile(parent, in: $0) }) else { throw .runNotFound(parent.rawValue) }
        let child = RunID.child(of: parent, step: step, key: key)
        let entry = spool.ledgerEntry(parent, child)
        let stage = spool.spawnStage(child)
        let isNew = (try? Sys.lstat(entry)) == nil
        var depth = 0
        if isNew {
            // A new child: only a running parent spawns, within its limits.
            let state = spool.state(of: parent)
            guard parentEvents.state == .running, state == .running else {
                throw .wrongState(run: parent.rawValue, state: state ?? parentEvents.state,
                                  wanted: "only a running run can spawn children (run `agent-runner spawn` from one of its steps)")
            }
            depth = RunHistory.read(parentEvents.path).depth + 1
            if depth > limits.maxDepth {
                throw .spawnLimit(parent: parent, limit: "max_depth", value: limits.maxDepth, detail: "the run is at depth \(depth - 1) already")
            }
            let siblings = children(of: parent).count
            if siblings >= limits.maxChildren {
                throw .spawnLimit(parent: parent, limit: "max_children", value: limits.maxChildren, detail: "the run has spawned \(siblings) children")
            }
        }
        do throws(SysError) {
            if isNew {
                try Sys.mkdir(spool.ledgerDir(parent))
                try writeQueued(child, parent: parent, step: step, key: key, depth: depth, name: name)
                faults.crash(at: .spawnEventWritten)
                try stageChild(bytes, at: stage, ledger: entry)
                faults.crash(at: .spawnStaged)
                do throws(SysError) {
                    try Sys.link(stage, entry)
                    // The commit must survive a power cut before the child can: else a retry would spawn again.
                    if durability == .fsync { try Sys.fsyncDirectory(spool.ledgerDir(parent)) }
                } catch where error.errno == EEXIST {
                    // Another call committed this spawn first; what we staged is not its job file.
                    if (try? Sys.lstat(stage))?.inode != (try? Sys.lstat(entry))?.inode { unlinkIfPresent(stage) }
                }
                faults.crash(at: .spawnLinked)
            }
            let delivered = try deliver(child, ledger: entry)
            return Spawned(child: child, alreadySpawned: !delivered)
        } catch {
            throw .io(error, hint: "the spawn of \(child) is incomplete; running the same spawn again completes it")
        }
    }

    /// Step 2: the child's first event, written once however often the spawn is tried.
    func writeQueued(_ child: RunID, parent: RunID, step: Int, key: String, depth: Int, name: [UInt8]) throws(SysError) {
        // Wherever the child's events are: a racing spawn of the same key may have delivered it, and it may
        // be running already. Then there is nothing to write (and no second events file may appear).
        if let existing = spool.eventsPath(of: child), RunHistory.read(existing).queued != nil { return }
        let path = spool.eventsFile(child, in: .queued)
        let log = try EventLog(path: path, run: child, clock: clock, faults: faults)
        try log.append(.queued, JSON.nameFields("name", name) + [
            ("by", .string(actor.id)), ("parent", .string(parent.rawValue)), ("step", .int(step)),
            ("key", .string(key)), ("depth", .int(depth)),
        ])
        try syncIfDurable(log)
    }

    /// Step 3. A staged file left by a spawn that died before its link is not anyone's job file yet: it is
    /// replaced. One that is the ledger entry already is left for `deliver`.
    func stageChild(_ bytes: [UInt8], at stage: FilePath, ledger entry: FilePath) throws(SysError) {
        if let st = try? Sys.lstat(stage) {
            if st.inode == (try? Sys.lstat(entry))?.inode { return }
            unlinkIfPresent(stage)
        }
        try writeStaged(bytes, at: stage)
    }

    /// Step 5. True when this call's rename delivered the child. ENOENT: another call delivered it first.
    func deliver(_ child: RunID, ledger entry: FilePath) throws(SysError) -> Bool {
        let stage = spool.spawnStage(child)
        guard let staged = try? Sys.lstat(stage), staged.inode == (try? Sys.lstat(entry))?.inode else { return false }
        do throws(SysError) { try Sys.rename(stage, spool.jobFile(child, in: .queued)) } catch where error.errno == ENOENT {
            return false
        }
        try syncFolderIfDurable(.queued)
        faults.crash(at: .spawnDelivered)
        return true
    }

    /// The `child.spawned` events a running run's owner has still to write: one per ledger entry its events
    /// do not name yet, in the order the children were spawned. The owner is the only writer of a running
    /// run's events (their `seq` counts in one process), so `agent-runner spawn`, run from a step, leaves
    /// this to the worker, which writes them when the step ends and before the run finishes. A run that
    /// never spawned costs one `lstat`.
    public func unrecordedSpawns(_ run: OwnedRun) -> [[(String, JSON)]] {
        guard (try? Sys.lstat(spool.ledgerDir(run.id))) != nil else { return [] }
        let recorded = Set(RunHistory.read(run.events.path).children)
        var found: [(at: String, child: RunID, fields: [(String, JSON)])] = []
        for child in children(of: run.id) where !recorded.contains(child.rawValue) {
            let history = spool.eventsPath(of: child).map(RunHistory.read)
            var fields: [(String, JSON)] = [("child", .string(child.rawValue))]
            if let step = history?.queued?.step { fields.append(("step", .int(step))) }
            if let key = history?.queued?.key { fields.append(("key", .string(key))) }
            found.append((history?.queuedAt ?? "", child, fields))
        }
        // In the order they were spawned: their `queued` events' times (RFC 3339 sorts as text).
        return found.sorted { ($0.at, $0.child) < ($1.at, $1.child) }.map(\.fields)
    }

    /// The children a run spawned, from its ledger, in id order.
    public func children(of parent: RunID) -> [RunID] {
        ((try? Sys.listDirectory(spool.ledgerDir(parent))) ?? []).compactMap { entry in
            guard let file = RunFileName(entry.name), file.suffix == "yaml" else { return nil }
            return file.run
        }.sorted()
    }

    /// Completes spawns whose parent died between the link (step 4) and the rename (step 5): a staged
    /// `tmp/CHILD.yaml` that is its ledger entry, untouched for a whole lease. The link was the spawn's
    /// commit, so the child is delivered even when its parent never comes back. Part of `recover()`.
    func completeCutSpawns(now: Double, report: inout RecoveryReport) {
        guard let entries = try? Sys.listDirectory(spool.tmp) else { return }
        for entry in entries {
            guard let file = RunFileName(entry.name), file.suffix == "yaml",
                  let st = try? Sys.lstat(spool.spawnStage(file.run)), isStale(st, now: now) else { continue }
            let queued = RunHistory.read(spool.eventsFile(file.run, in: .queued)).queued
            guard let parent = queued?.parent.flatMap(RunID.init) else { continue }
            let ledger = spool.ledgerEntry(parent, file.run)
            guard (try? Sys.lstat(ledger))?.inode == st.inode else { continue }
            if (try? deliver(file.run, ledger: ledger)) == true { report.spawnsCompleted.append(file.run) }
        }
    }
}
