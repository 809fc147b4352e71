#if canImport(Glibc)
import Glibc
#endif

extension Spooler {
    /// Writes a fresh lease for `run` with `O_CREAT|O_EXCL`, so two actors can never both hold one.
    /// The lease also records the claim (name, attempt, worker) for recovery after a crash.
    func createLease(_ run: RunID, name: [UInt8], attempt: Int) throws(SysError) -> (fd: Int32, inode: UInt64)? {
        let path = spool.leaseFile(run)
        let fd: Int32
        do { fd = try Sys.open(path, O_RDWR | O_CREAT | O_EXCL, mode: 0o644) } catch where error.errno == EEXIST { return nil }
        let body = JSON.object([("run", .string(run.rawValue))] + JSON.nameFields("name", name) + [
            ("attempt", .int(attempt)), ("worker", .string(actor.id)), ("host", .string(actor.host)),
            ("pid", .int(Int(actor.pid))), ("claimed_at", .string(Timestamp.rfc3339(clock.now()))),
        ]).encoded() + [0x0A]
        do {
            try Sys.write(fd, body, path: path)
            return (fd, try Sys.fstat(fd, path: path).inode)
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
        _ = futimens(run.leaseFD, nil)
        return owns(run)
    }

    /// A lease (or token) is stale when its mtime is older than `leaseDuration` on the file system's clock.
    func isStale(_ st: FileStat, now: Double) -> Bool {
        now - st.mtime > leaseDuration
    }
}
