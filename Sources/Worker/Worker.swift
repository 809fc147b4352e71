import Foundation
import JobSpec
import Logging
import SpoolCore

/// One worker process: watches `new/`, claims jobs up to its concurrency, runs them, heartbeats their
/// leases, reaps other workers' stale runs, and on SIGTERM stops claiming, gives running steps a grace
/// period and requeues what is left. All loop state lives in `run()`; run tasks talk to it through `Inbox`.
public final class Worker: Sendable {
    let spooler: Spooler
    let options: WorkerOptions
    let logger: Logger
    let inbox: AsyncStream<Message>
    let post: AsyncStream<Message>.Continuation
    /// Renews the leases on its own thread and paces the loop's `tick`.
    let keeper: LeaseKeeper

    enum Message: Sendable {
        case watch(WatchSignal)
        /// A file in `control/` was created, written or removed (inotify only; each run also polls its own).
        case control(WatchSignal)
        /// A job file arrived in `done/` (inotify only; the poll's recovery pass releases waits too).
        case finished(WatchSignal)
        case runEnded(ClaimKey, RunEnd)
        /// The run's work is over; it is finishing (fsync and moves) and no longer takes a slot.
        case workDone(ClaimKey)
        case tick
        case shutdown
        case graceOver
    }

    public init(spooler: Spooler, options: WorkerOptions, logger: Logger) {
        self.spooler = spooler
        self.options = options
        self.logger = logger
        (inbox, post) = AsyncStream.makeStream(of: Message.self)
        keeper = LeaseKeeper(spooler: spooler, interval: max(0.05, min(options.config.lease / 3, 1.0)), logger: logger)
    }

    /// Runs until SIGTERM/SIGINT (or, with `--drain`, until the spool is empty). Returns the exit status:
    /// 0, or 1 when an error was reported on the way (for example events that could not be written).
    public func run() async -> Int32 {
        var loop = LoopState(options: options)
        let spool = spooler.spool
        var executor = RunExecutor(spooler: spooler, options: options, logger: logger)
        executor.workDone = { [post] in post.yield(.workDone($0)) }
        let watcher: QueueWatcher
        do {
            watcher = try QueueWatcher(directory: spool.new, mode: options.watch, pollInterval: options.config.pollInterval)
            try watcher.start { [post] in post.yield(.watch($0)) }
        } catch {
            logger.error("cannot watch \(spool.new.display): \(error)")
            return 1
        }
        let controlWatcher = startControlWatcher()
        let doneWatcher = startDoneWatcher()
        let signals = installSignalHandlers()
        let heartbeatEvery = max(0.05, min(options.config.lease / 3, 1.0))
        keeper.start { [post] in post.yield(.tick) }
        logger.info("worker started", metadata: ["worker": "\(spooler.actor.id)", "spool": "\(spool.root.display)",
                                                 "concurrency": "\(options.config.concurrency)", "watch": "\(options.watch.rawValue)"])
        report(recovery: spooler.recover(sparing: keeper.heldLeases), loop: &loop)

        await withDiscardingTaskGroup { group in
            for await message in inbox {
                switch message {
                case .watch(.name(let name)):
                    // Priority only matters among waiting jobs: with a free slot and nothing waiting, the
                    // name is claimed at once, so its file is not read twice.
                    let contended = !loop.isHeapEmpty || loop.running.count >= options.config.concurrency
                    loop.enqueue(name, priority: contended ? PriorityPeek.priority(of: spool.new.appending(bytes: name)) : 0)
                case .watch(.rescan(let reason)):
                    // While the spool folder is away there is nothing to list or recover.
                    guard spoolIsHere(&loop, watcher: watcher) else { break }
                    if reason != .startup { report(recovery: spooler.recover(sparing: keeper.heldLeases), loop: &loop) }
                    rescan(&loop, reason: reason)
                    loop.settleRecheckPending = false
                    if loop.unsettled > 0 && !loop.shuttingDown {
                        // Look again once those files are old enough, rather than a whole poll interval later.
                        loop.settleRecheckPending = true
                        let delay = options.config.settle
                        Task { [post] in
                            try? await Task.sleep(for: .seconds(delay))
                            post.yield(.watch(.rescan(.poll)))
                        }
                    }
                case .control(.name(let name)):
                    // "RUN.pause" or "RUN.stop": the run reads its control files now rather than at its next poll.
                    guard let dot = name.lastIndex(of: UInt8(ascii: ".")) else { break }
                    let run = String(decoding: name[..<dot], as: UTF8.self)
                    for ctx in loop.running.values where ctx.run.id.rawValue == run { ctx.control.refresh() }
                case .control(.rescan(let reason)):
                    if reason == .overflow { for ctx in loop.running.values { ctx.control.refresh() } }
                case .finished:
                    // A run finished (here or in another process on this host): a parent waiting for it may go on.
                    report(released: spooler.releaseReady())
                case .workDone(let claim):
                    if let ctx = loop.running.removeValue(forKey: claim) { loop.finishing[claim] = ctx }
                case .runEnded(let claim, let end):
                    loop.running[claim] = nil
                    loop.finishing[claim] = nil
                    if case .logFailed = end { loop.hadErrors = true }
                    // Without the done/ watcher (polling only), the worker's own finish is its cue to release.
                    if case .finished = end, doneWatcher == nil { report(released: spooler.releaseReady()) }
                case .tick:
                    _ = spoolIsHere(&loop, watcher: watcher)
                    heartbeat(&loop)
                    writeStatus(loop, every: heartbeatEvery)
                case .shutdown:
                    if !loop.shuttingDown {
                        loop.shuttingDown = true
                        watcher.stop()
                        logger.notice("shutting down: no new claims; \(loop.running.count) running run(s) get \(options.config.shutdownGrace)s")
                        let grace = options.config.shutdownGrace
                        Task { [post] in
                            try? await Task.sleep(for: .seconds(grace))
                            post.yield(.graceOver)
                        }
                    } else {
                        for ctx in loop.running.values { ctx.requestShutdown() }
                    }
                case .graceOver:
                    for ctx in loop.running.values { ctx.requestShutdown() }
                }
                if !loop.shuttingDown && loop.spoolPresence == .present { claimWhileFree(&loop, group: &group, executor: executor) }
                if loop.shuttingDown && loop.running.isEmpty && loop.finishing.isEmpty { break }
                if options.drain && loop.running.isEmpty && loop.finishing.isEmpty && loop.isIdle && spoolIsEmpty() { break }
            }
        }
        keeper.stop()
        watcher.stop()
        controlWatcher?.stop()
        doneWatcher?.stop()
        signals.forEach { $0.cancel() }
        try? Sys.unlink(spool.workerFile(spooler.actor))
        logger.info("worker stopped", metadata: ["worker": "\(spooler.actor.id)"])
        return loop.hadErrors ? 1 : 0
    }

    // MARK: claiming

    /// Claims while slots are free. Each run's task makes its claim durable (`fsync(cur/)`, on a thread of
    /// its own) before it starts, so the loop never waits for the disk and concurrent claims share commits.
    func claimWhileFree(_ loop: inout LoopState, group: inout DiscardingTaskGroup, executor: RunExecutor) {
        while loop.running.count < options.config.concurrency, loop.finishing.count < loop.maxFinishing,
              let name = loop.nextCandidate() {
            // A writer filling the file in place still has it open: claiming now would run half a job. Its
            // close (IN_CLOSE_WRITE) or the next poll brings the name back.
            if Sys.isOpenForWriting(spooler.spool.new.appending(bytes: name)) == true {
                logger.debug("not claiming \(FilePath(bytes: name).display) yet: a writer still has it open")
                continue
            }
            let owned: OwnedRun?
            do {
                owned = try spooler.claim(name: name, sync: false)
            } catch {
                logger.error("claim of \(FilePath(bytes: name).display) failed: \(error)")
                loop.hadErrors = true
                continue
            }
            guard let owned else {
                if let st = try? Sys.lstat(spooler.spool.new.appending(bytes: name)), !st.isRegular {
                    loop.ignored.insert(name)
                    logger.warning("ignoring \(FilePath(bytes: name).display) in new/: not a regular file")
                }
                continue
            }
            logger.debug("claimed", metadata: ["run": "\(owned.id)", "name": "\(owned.displayName)"])
            let claim = ClaimKey(run: owned.id, attempt: owned.attempt, serial: loop.nextClaimSerial)
            loop.nextClaimSerial += 1
            let ctx = RunContext(run: owned, claim: claim, control: RunControl(spooler: spooler, run: owned.id))
            loop.running[claim] = ctx
            keeper.add(ctx)
            group.addTask { [post, keeper] in
                let end = await executor.execute(ctx)
                keeper.remove(ctx)
                post.yield(.runEnded(claim, end))
            }
        }
    }

    /// Lists `new/` and queues every job name not already queued. Names found only by polling must have
    /// an mtime at least `settle` old on the file system's clock: a writer may still be filling them in place.
    func rescan(_ loop: inout LoopState, reason: WatchRescanReason) {
        if reason == .overflow { logger.notice("inotify queue overflowed (IN_Q_OVERFLOW); rescanning new/") }
        guard let entries = try? Sys.listDirectory(spooler.spool.new) else {
            logger.error("cannot list \(spooler.spool.new.display)")
            return
        }
        let fsNow = (try? spooler.fsClock.now()) ?? 0
        var unsettled = 0
        var fresh: [(name: [UInt8], priority: Int, arrival: Double)] = []
        var present = Set<[UInt8]>()
        let pruneIgnored = !loop.ignored.isEmpty
        for entry in entries where JobName.isJob(entry.name) {
            if pruneIgnored { present.insert(entry.name) }
            if loop.queued.contains(entry.name) || loop.ignored.contains(entry.name) { continue }
            if entry.kind != .regular && entry.kind != .unknown {
                loop.ignored.insert(entry.name)
                logger.warning("ignoring \(FilePath(bytes: entry.name).display) in new/: not a regular file")
                continue
            }
            let settle = options.config.settle
            switch PriorityPeek.inspect(spooler.spool.new.appending(bytes: entry.name), wantPriority: { settle <= 0 || fsNow - $0 >= settle }) {
            case .job(let mtime, .some(let priority)):
                fresh.append((entry.name, priority, mtime))
            case .job(_, .none):
                unsettled += 1
            case .notRegular:
                loop.ignored.insert(entry.name)
                logger.warning("ignoring \(FilePath(bytes: entry.name).display) in new/: not a regular file")
            case .unavailable:
                continue
            }
        }
        // Forget ignored names that went away, so a regular file dropped under the same name is seen.
        if pruneIgnored { loop.ignored = loop.ignored.intersection(present) }
        for item in fresh { loop.enqueue(item.name, priority: item.priority, arrival: item.arrival) }
        loop.unsettled = unsettled
        loop.scannedSinceIdle = true
    }

    /// True when nothing is queued, running or parked anywhere in the spool, and no interrupted transition is
    /// waiting in `cur/` or `wait/` for recovery (a lease or token left by a crash): used by `--drain`. A
    /// parked run keeps a drain going until it is released (its children finish or its deadline passes).
    func spoolIsEmpty() -> Bool {
        for dir in [spooler.spool.new, spooler.spool.cur, spooler.spool.wait] {
            guard let entries = try? Sys.listDirectory(dir) else { return false }
            for entry in entries {
                if JobName.isJob(entry.name) {
                    if (try? Sys.lstat(dir.appending(bytes: entry.name)))?.isRegular == true { return false }
                } else if dir != spooler.spool.new && Spool.isTransitionLeftover(entry.name) {
                    return false
                }
            }
        }
        return true
    }

    // MARK: leases and status

    /// A visible pulse in the event log for long steps. The lease itself is renewed far more often, by `keeper`.
    func heartbeat(_ loop: inout LoopState) {
        let now = monotonicNow()
        for ctx in loop.running.values where !ctx.isLost {
            let run = ctx.claim
            if !ctx.eventLogFailed, ctx.heartbeatEventDue(every: min(30, options.config.lease), now: now) {
                do {
                    try ctx.run.events.append(.heartbeat, [
                        ("elapsed", .double(((now - ctx.run.claimedMonotonic) * 10).rounded() / 10)),
                        ("worker", .string(spooler.actor.id)),
                    ])
                } catch {
                    ctx.markEventLogFailed()
                    logger.error("\(SpoolError.eventLog(error, run: run.run))")
                }
            }
        }
    }

    /// `workers/ACTOR.json`, rewritten on every tick: who is working this spool, for the HTTP API's status.
    /// `status_interval` tells readers how often to expect it, so they can tell a stopped worker from a slow one.
    func writeStatus(_ loop: LoopState, every interval: Double) {
        let a = spooler.actor
        let body = JSON.object([
            ("worker", .string(a.id)), ("host", .string(a.host)), ("pid", .int(Int(a.pid))),
            ("concurrency", .int(options.config.concurrency)), ("watch", .string(options.watch.rawValue)),
            ("runs", .array(Set((loop.running.keys).map(\.run) + loop.finishing.keys.map(\.run)).sorted().map { .string($0.rawValue) })),
            ("started_at", .string(Timestamp.rfc3339(loop.startedAt))),
            ("last_seen", .string(Timestamp.rfc3339(spooler.clock.now()))),
            ("shutting_down", .bool(loop.shuttingDown)),
            ("status_interval", .double(interval)),
        ]).encoded() + [0x0A]
        let tmp = spooler.spool.workers.appending(".\(a.id).json.tmp")
        do {
            try Sys.writeFile(tmp, body)
            try Sys.rename(tmp, spooler.spool.workerFile(a))
        } catch {
            logger.debug("cannot write worker status: \(error)")
        }
    }

    func report(recovery: RecoveryReport, loop: inout LoopState) {
        for run in recovery.requeued { logger.notice("requeued \(run): its lease expired") }
        for run in recovery.failed { logger.warning("failed \(run): its lease expired and max_attempts is used up") }
        for run in recovery.rolledForward { logger.notice("completed an interrupted move of \(run)") }
        for run in recovery.spawnsCompleted { logger.notice("queued \(run): its parent's spawn was cut short") }
        for run in recovery.releasesCompleted { logger.notice("completed an interrupted release of \(run) from wait/") }
        report(released: recovery.released)
        for err in recovery.errors { logger.error("recovery: \(err)") }
    }

    func report(released: [RunID]) {
        for run in released { logger.info("released \(run) from wait/", metadata: ["run": "\(run)"]) }
    }

    /// inotify on `done/` (job files moved in), so that a parent waiting in `wait/` goes on as soon as its
    /// children finish; nil with `--watch=poll`. Other hosts' finishes are seen by the poll's recovery pass.
    func startDoneWatcher() -> QueueWatcher? {
        guard options.watch == .inotify else { return nil }
        do {
            let watcher = try QueueWatcher(directory: spooler.spool.done, mode: .inotify, pollInterval: 3600, events: UInt32(IN_MOVED_TO))
            try watcher.start { [post] signal in
                if case .name(let name) = signal, !JobName.isJob(name) { return }
                post.yield(.finished(signal))
            }
            return watcher
        } catch {
            logger.notice("cannot watch \(spooler.spool.done.display) (\(error)); waiting runs are released by polling only")
            return nil
        }
    }

    /// inotify on `control/`, so that pause and stop reach a run at once; nil with `--watch=poll` or where
    /// inotify is unavailable. Each run's `RunControl` polls its files anyway, for writes from other hosts.
    func startControlWatcher() -> QueueWatcher? {
        guard options.watch == .inotify else { return nil }
        do {
            let events = UInt32(IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)
            // Its own rescans are not needed: the runs poll their control files themselves.
            let watcher = try QueueWatcher(directory: spooler.spool.control, mode: .inotify, pollInterval: 3600, events: events)
            try watcher.start { [post] in post.yield(.control($0)) }
            return watcher
        } catch {
            logger.notice("cannot watch \(spooler.spool.control.display) (\(error)); pause and stop are seen by polling only")
            return nil
        }
    }

    // MARK: signals

    func installSignalHandlers() -> [DispatchSourceSignal] {
        // The writer probe takes a read lease for an instant; a writer opening the file right then makes the
        // kernel send the lease holder SIGIO, whose default action would end the worker. Steps get default
        // dispositions back at spawn.
        signal(SIGIO, SIG_IGN)
        return [SIGTERM, SIGINT].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [post] in post.yield(.shutdown) }
            source.resume()
            return source
        }
    }
}
