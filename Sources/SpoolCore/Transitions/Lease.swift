#if canImport(Glibc)
import Glibc
#endif

/// What a lease check found.
public enum LeaseCheck: Sendable, Equatable {
    /// `cur/RUN.lease` is the inode this actor created.
    case held
    /// Another inode or none, in a spool that is still there: another worker took the run over.
    case lost
    /// The spool folder is not at its path (or is another folder now): the lease is out of sight, not lost.
    case spoolAway
}

/// The open lease file of a run this actor claimed: the fd (heartbeats and appends go through it, because the
/// path may be a token by now) and the inode it names (ownership is "cur/RUN.lease is still this inode").
/// `~Copyable`, so exactly one owner closes the fd, once, in `deinit`: every path out of `claim`, including
/// a throw, either hands it on with `consume` or drops it.
struct LeaseHandle: ~Copyable, Sendable {
    private let fd: Int32
    let inode: UInt64

    /// Takes ownership of `fd`.
    init(fd: Int32, inode: UInt64) {
        self.fd = fd
        self.inode = inode
    }

    deinit { Sys.close(fd) }

    /// Closes the fd now rather than where the handle's last owner lets go of it.
    consuming func close() {}

    /// The corresponding C function is `futimens`: sets the lease's mtime to the file system's now.
    func touch() {
        _ = futimens(fd, nil)
    }

    /// Appends `bytes` at the lease's end with one `pwrite`; best effort, like the records it writes.
    func append(_ bytes: [UInt8]) {
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else { return }
        _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, end) }
    }
}

extension Spooler {
    /// Writes a fresh lease for `run` with `O_CREAT|O_EXCL`, so two actors can never both hold one.
    /// The lease also records the claim (name, attempt, worker) for recovery after a crash.
    /// `queuedAt` (fresh files only) is the job file's mtime, for the `queued` event a reaper may have to write.
    func createLease(_ run: RunID, name: [UInt8], attempt: Int, queuedAt: Double? = nil) throws(SysError) -> LeaseHandle? {
        let path = spool.leaseFile(run)
        let fd: Int32
        do { fd = try Sys.open(path, O_RDWR | O_CREAT | O_EXCL, mode: 0o644) } catch where error.errno == EEXIST { return nil }
        let body = JSON.object([("run", .string(run.rawValue))] + JSON.nameFields("name", name) + [
            ("attempt", .int(attempt)), ("worker", .string(actor.id)), ("host", .string(actor.host)),
            ("pid", .int(Int(actor.pid))), ("claimed_at", .string(Timestamp.rfc3339(clock.now()))),
        ] + (queuedAt.map { [("queued_at", .string(Timestamp.rfc3339($0)))] } ?? [])).encoded() + [0x0A]
        do {
            try Sys.write(fd, body, path: path)
            return LeaseHandle(fd: fd, inode: try Sys.fstat(fd, path: path).inode)
        } catch {
            Sys.close(fd)
            unlinkIfPresent(path)
            throw error
        }
    }

    /// True while `cur/RUN.lease` is still the lease this actor created.
    public func owns(_ run: OwnedRun) -> Bool {
        (try? Sys.lstat(spool.leaseFile(run.id)))?.inode == run.leaseInode
    }

    /// Renews the lease: `futimens` on the lease's own fd (the server's clock on NFS), then checks that the
    /// lease at `cur/RUN.lease` is still this inode. Returns false when another worker took the run over.
    public func heartbeat(_ run: OwnedRun) -> Bool {
        renew(run) == .held
    }

    /// `futimens` on the lease fd with NULL times, then `checkLease`. NULL times let the kernel (or the NFS server) stamp
    /// the mtime with the file system's clock, the one staleness is judged by; the local clock never enters.
    /// The fd reaches the lease even while the spool folder is moved away, so the lease stays fresh meanwhile.
    public func renew(_ run: OwnedRun) -> LeaseCheck {
        run.lease.touch()
        return checkLease(run)
    }

    /// Whether `cur/RUN.lease` is still ours. A lease that cannot be seen because the spool folder itself
    /// is gone (moved away, unmounted, replaced) is not lost: no other worker can have taken it.
    public func checkLease(_ run: OwnedRun) -> LeaseCheck {
        if owns(run) { return .held }
        if let home, spool.presence(of: home) != .present { return .spoolAway }
        // The folder may have come back between the two looks.
        return owns(run) ? .held : .lost
    }

    /// Appends one JSON line to the lease through the owner's fd (the lease's path may be a token by now).
    func appendToLease(_ run: OwnedRun, _ value: JSON) {
        run.lease.append(value.encoded() + [0x0A])
    }

    /// Records the process group of the step now running, so that a reaper on this host can end it if this
    /// worker dies: a worker killed with SIGKILL cannot take its steps with it.
    public func recordStepProcess(_ run: OwnedRun, pgid: Int32) {
        guard let start = ProcessStart.of(pid: pgid) else { return }
        appendToLease(run, JSON.object([("step_process", .object([
            ("pgid", .int(Int(pgid))), ("start", .int(Int(start))), ("host", .string(actor.host)),
        ]))]))
    }

    /// Records the job's `max_attempts` once the run has read its job file, so that a reaper knows the
    /// limit without parsing the job.
    public func recordMaxAttempts(_ run: OwnedRun, _ limit: Int) {
        appendToLease(run, JSON.object([("max_attempts", .int(limit))]))
    }

    /// The JSON lines of a lease (or the token it became), in the order they were written: the claim
    /// first, then what its owner appended (step processes, `max_attempts`, the finishing intent).
    func leaseEntries(_ path: FilePath) -> [JSON] {
        guard let bytes = try? Sys.readFile(path, limit: 1 << 20) else { return [] }
        return bytes.split(separator: 0x0A).compactMap { JSON.parse(Array($0)) }
    }

    /// The `max_attempts` a lease (or the token it became) recorded, if the run got that far.
    func recordedMaxAttempts(_ path: FilePath) -> Int? {
        leaseEntries(path).reversed().lazy.compactMap { $0["max_attempts"]?.intValue }.first
    }

    /// The step process group the lease's (now the token's) owner recorded last, if any.
    func recordedStepProcess(_ token: FilePath) -> StepProcessRecord? {
        for entry in leaseEntries(token).reversed() {
            guard let step = entry["step_process"] else { continue }
            guard let host = step["host"]?.stringValue, let pgid = step["pgid"]?.intValue, pgid > 1,
                  let start = step["start"]?.intValue, start >= 0 else { return nil }
            return StepProcessRecord(host: host, pgid: Int32(pgid), start: UInt64(start))
        }
        return nil
    }

    /// A lease (or token) is stale when its mtime is older than `leaseDuration` on the file system's clock.
    func isStale(_ st: FileStat, now: Double) -> Bool {
        now - st.mtime > leaseDuration
    }
}

/// A step's process group as its worker recorded it in the lease: enough for a reaper on the same host to
/// tell whether that very process still runs (the pid and its start time).
public struct StepProcessRecord: Sendable, Equatable {
    public let host: String
    public let pgid: Int32
    /// The leader's start time, in clock ticks since boot (`/proc/PID/stat` field 22).
    public let start: UInt64
}
