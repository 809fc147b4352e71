#if canImport(Glibc)
import Glibc
#endif

extension Sys {
    /// Whether any process has `path` open for writing, asked of the kernel with a read lease: the
    /// corresponding C call is `fcntl(fd, setLease, Int32(F_RDLCK))`, which fails with EAGAIN while a writer holds
    /// the file open, and the lease is dropped again at once (`F_UNLCK`).
    ///
    /// Returns nil when the kernel cannot tell: leases exist only on local file systems (NFS, FUSE and
    /// GlusterFS answer EINVAL) and only for the file's owner or a process with CAP_LEASE (EACCES otherwise).
    /// Callers then fall back to the settle time. A writer that opens the file during the instant the lease is
    /// held makes the kernel send this process SIGIO (default action: terminate): callers ignore SIGIO.
    public static func isOpenForWriting(_ path: FilePath) -> Bool? {
        let setLease: Int32 = 1024  // F_SETLEASE, which Glibc's module leaves out (it is behind _GNU_SOURCE)
        guard let fd = try? openQueued(path) else { return nil }
        defer { close(fd) }
        if fcntl(fd, setLease, Int32(F_RDLCK)) == 0 {
            _ = fcntl(fd, setLease, Int32(F_UNLCK))
            return false
        }
        return errno == EAGAIN ? true : nil
    }
}
