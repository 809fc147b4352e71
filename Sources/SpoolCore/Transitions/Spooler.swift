import JobSpec
#if canImport(Glibc)
import Glibc
#endif

/// The state transitions of one actor (a worker process or a CLI call) on one spool. Every
/// transition is a named method whose doc comment lists its file-system steps in order;
/// `docs/spool-format.md` says what a crash between any two of them leaves behind.
public struct Spooler: Sendable {
    public let spool: Spool
    public let actor: Actor
    public let clock: any WallClock
    public let fsClock: any FileSystemClock
    public let faults: Faults
    /// Seconds without a heartbeat after which a run's lease is stale and the run may be taken over.
    public var leaseDuration: Double
    public var maxAttempts: Int
    public var durability: SpoolConfig.Durability
    /// The spool folder as it was when this actor opened it; nil when its root could not be read then.
    public let home: SpoolIdentity?
    /// Called when this actor takes over a stale run, before anything of the run moves, with the step
    /// process its dead owner recorded. The spool core only hands it over; the worker kills it.
    public var onTakeover: (@Sendable (RunID, StepProcessRecord?) -> Void)?

    public init(spool: Spool, actor: Actor = .current(), config: SpoolConfig = SpoolConfig(),
                clock: any WallClock = SystemClock(), fsClock: (any FileSystemClock)? = nil, faults: Faults = .process) {
        self.spool = spool
        self.actor = actor
        self.clock = clock
        self.fsClock = fsClock ?? ProbeClock(probe: spool.probeFile(actor))
        self.faults = faults
        leaseDuration = config.lease
        maxAttempts = config.maxAttempts
        durability = config.durability
        home = try? spool.identity()
    }

    /// Renames `from` to `to`. ENOENT counts as success when `to` exists and `mine()` confirms that it is
    /// this actor's: that is NFS's lost reply, where the server did the rename but the answer never came.
    func renameClaiming(_ from: FilePath, _ to: FilePath, lostReplyFault: String? = nil, mine: () -> Bool) throws(SysError) -> Bool {
        do throws(SysError) {
            try Sys.rename(from, to)
            if let fault = lostReplyFault, faults.lostReply.contains(fault) {
                throw SysError(errno: ENOENT, call: "rename", path: "\(from.display) -> \(to.display)")
            }
            return true
        } catch where error.errno == ENOENT {
            return (try? Sys.lstat(to)) != nil && mine()
        }
    }

    /// Moves a file or folder (a job file, an events file, an artifacts folder) if it is still at `from`,
    /// never replacing anything at `to`: files by `rename(RENAME_NOREPLACE)`, which inotify reports as
    /// `IN_MOVED_TO` (so a run put back in `new/` is seen at once), or, where the file system cannot do that,
    /// by `link` + `unlink`; EEXIST on the same inode completes an earlier half-done move either way. Folders
    /// move by `rename`, which refuses to replace a non-empty folder.
    func moveIfPresent(_ from: FilePath, _ to: FilePath) throws(SysError) {
        guard let src = try? Sys.lstat(from) else { return }
        if src.isDirectory {
            do throws(SysError) { try Sys.rename(from, to) } catch where error.errno == ENOENT {}
            return
        }
        do throws(SysError) {
            try Sys.renameNoReplace(from, to)
            return
        } catch where error.errno == ENOENT {
            return
        } catch where error.errno == EEXIST {
            guard (try? Sys.lstat(to))?.inode == src.inode else { throw error }
            unlinkIfPresent(from)
            return
        } catch where [EINVAL, ENOSYS, ENOTSUP].contains(error.errno) {
            // Not supported here: link + unlink below.
        }
        do throws(SysError) {
            try Sys.link(from, to)
        } catch where error.errno == EEXIST {
            guard (try? Sys.lstat(to))?.inode == src.inode else { throw error }
        } catch where error.errno == ENOENT {
            return
        }
        unlinkIfPresent(from)
    }

    func unlinkIfPresent(_ path: FilePath) {
        try? Sys.unlink(path)
    }

    func syncIfDurable(_ log: EventLog) throws(SysError) {
        if durability == .fsync { try log.sync() }
    }

    /// fsyncs a state folder, so the renames into it so far survive a power cut (`durability: fsync`).
    func syncFolderIfDurable(_ state: RunState) throws(SysError) {
        if durability == .fsync { try Sys.fsyncDirectory(spool.folder(state)) }
    }

    func fsNow() throws(SpoolError) -> Double {
        do { return try fsClock.now() } catch { throw .io(error, hint: "the spool's .clock/ folder must be writable") }
    }
}

/// A run this actor holds a lease on. Ownership is "the file at `cur/RUN.lease` is the inode I created";
/// a worker that lost its lease (it was stopped, another worker took over) sees another inode or none.
public final class OwnedRun: Sendable {
    public let id: RunID
    /// The job's display name: the file name it was dropped as.
    public let name: [UInt8]
    public let attempt: Int
    /// The run that spawned this one (from the `queued` event the claim read anyway); nil when not spawned.
    public let parent: RunID?
    /// The lease's fd, closed when the last reference to this run goes away.
    let lease: LeaseHandle
    public let events: EventLog
    /// Wall-clock time of the claim: for timestamps only.
    public let claimedAt: Double
    /// `monotonicNow()` at the claim: durations are measured from this, so a stepped wall clock cannot skew them.
    public let claimedMonotonic: Double

    init(id: RunID, name: [UInt8], attempt: Int, parent: RunID? = nil, lease: consuming LeaseHandle, events: EventLog, claimedAt: Double,
         claimedMonotonic: Double = monotonicNow()) {
        self.id = id
        self.name = name
        self.attempt = attempt
        self.parent = parent
        self.lease = lease
        self.events = events
        self.claimedAt = claimedAt
        self.claimedMonotonic = claimedMonotonic
    }

    /// The inode of the lease this actor created.
    public var leaseInode: UInt64 { lease.inode }

    public var displayName: String { FilePath(bytes: name).display }
}
