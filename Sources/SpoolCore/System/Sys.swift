import CProcess
#if canImport(Glibc)
import Glibc
#endif

/// One Swift function per system call the spool uses, each retrying EINTR and throwing `SysError`.
/// Paths are `FilePath`s so that job file names which are not valid UTF-8 survive unchanged.
public enum Sys {
    /// The corresponding C function is `open`. Always adds `O_CLOEXEC`, so no spool fd leaks into a step.
    public static func open(_ path: FilePath, _ flags: Int32, mode: mode_t = 0o644) throws(SysError) -> Int32 {
        while true {
            let fd = path.withCString { Glibc.open($0, flags | O_CLOEXEC, mode) }
            if fd >= 0 { return fd }
            if errno != EINTR { throw SysError(errno: errno, call: "open", path: path.display) }
        }
    }

    /// Linux's `O_NOATIME` (asm-generic value); Glibc exports it only under `_GNU_SOURCE`.
    static let noATime: Int32 = 0o1000000

    /// Opens a file in the queue for reading without following a symlink, without blocking on a FIFO, and
    /// with `O_NOATIME` where the kernel allows it (the file's owner, or CAP_FOWNER): reading a job to peek
    /// at or parse it then does not dirty its inode, which on a queue of 100,000 files is half the read's cost.
    public static func openQueued(_ path: FilePath) throws(SysError) -> Int32 {
        do throws(SysError) {
            return try open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | noATime)
        } catch where error.errno == EPERM {
            return try open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        }
    }

    /// The corresponding C function is `close`. EINTR is not retried: on Linux the fd is gone either way.
    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Writes `bytes` with as few `write` calls as the kernel allows: one, for event lines on an `O_APPEND` fd.
    /// A short write (disk full part-way) is reported as ENOSPC rather than retried into a torn line.
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: FilePath) throws(SysError) {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw SysError(errno: errno, call: "write", path: path.display)
            }
            if n == 0 { throw SysError(errno: ENOSPC, call: "write", path: path.display) }
            offset += n
        }
    }

    public static func write(_ fd: Int32, _ bytes: [UInt8], path: FilePath) throws(SysError) {
        var failure: SysError?
        bytes.withUnsafeBytes { buf in
            do throws(SysError) { try write(fd, buf, path: path) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// The corresponding C function is `rename`. Atomic within one file system: the spool's only lock.
    public static func rename(_ from: FilePath, _ to: FilePath) throws(SysError) {
        let rc = from.withCString { f in to.withCString { t in Glibc.rename(f, t) } }
        if rc != 0 { throw SysError(errno: errno, call: "rename", path: "\(from.display) -> \(to.display)") }
    }

    /// `renameat2(RENAME_NOREPLACE)`: EEXIST instead of replacing `to`. EINVAL (or ENOSYS, ENOTSUP) where
    /// the file system cannot do it: FUSE mounts and some NFS servers.
    public static func renameNoReplace(_ from: FilePath, _ to: FilePath) throws(SysError) {
        let rc = from.withCString { f in to.withCString { t in ar_rename_noreplace(f, t) } }
        if rc != 0 { throw SysError(errno: errno, call: "renameat2", path: "\(from.display) -> \(to.display)") }
    }

    /// The corresponding C function is `link`. Fails with EEXIST instead of replacing: used to publish without overwriting.
    public static func link(_ from: FilePath, _ to: FilePath) throws(SysError) {
        let rc = from.withCString { f in to.withCString { t in Glibc.link(f, t) } }
        if rc != 0 { throw SysError(errno: errno, call: "link", path: "\(from.display) -> \(to.display)") }
    }

    /// The corresponding C function is `unlink`.
    public static func unlink(_ path: FilePath) throws(SysError) {
        if path.withCString({ Glibc.unlink($0) }) != 0 { throw SysError(errno: errno, call: "unlink", path: path.display) }
    }

    /// The corresponding C function is `mkdir`. An existing directory is not an error.
    public static func mkdir(_ path: FilePath, mode: mode_t = 0o755) throws(SysError) {
        if path.withCString({ Glibc.mkdir($0, mode) }) != 0 && errno != EEXIST {
            throw SysError(errno: errno, call: "mkdir", path: path.display)
        }
    }

    /// Creates every missing parent, like `mkdir -p`.
    public static func mkdirs(_ path: FilePath) throws(SysError) {
        if (try? Sys.lstat(path)) != nil { return }
        let parent = path.parent
        if parent != path && !parent.bytes.isEmpty { try mkdirs(parent) }
        try mkdir(path)
    }

    /// The corresponding C function is `rmdir`.
    public static func rmdir(_ path: FilePath) throws(SysError) {
        if path.withCString({ Glibc.rmdir($0) }) != 0 { throw SysError(errno: errno, call: "rmdir", path: path.display) }
    }

    /// The corresponding C function is `stat` (follows symlinks).
    public static func stat(_ path: FilePath) throws(SysError) -> FileStat {
        var st = Glibc.stat()
        if path.withCString({ fstatat(AT_FDCWD, $0, &st, 0) }) != 0 { throw SysError(errno: errno, call: "stat", path: path.display) }
        return FileStat(st)
    }

    /// The corresponding C function is `lstat` (does not follow symlinks).
    public static func lstat(_ path: FilePath) throws(SysError) -> FileStat {
        var st = Glibc.stat()
        if path.withCString({ fstatat(AT_FDCWD, $0, &st, AT_SYMLINK_NOFOLLOW) }) != 0 { throw SysError(errno: errno, call: "lstat", path: path.display) }
        return FileStat(st)
    }

    /// The corresponding C function is `fstat`.
    public static func fstat(_ fd: Int32, path: FilePath) throws(SysError) -> FileStat {
        var st = Glibc.stat()
        if Glibc.fstat(fd, &st) != 0 { throw SysError(errno: errno, call: "fstat", path: path.display) }
        return FileStat(st)
    }

    /// The corresponding C function is `utimensat` with NULL times: sets atime and mtime to "now" as the
    /// file system sees it. On NFS that is the server's clock, which is what lease staleness is judged by.
    public static func touch(_ path: FilePath) throws(SysError) {
        if path.withCString({ utimensat(AT_FDCWD, $0, nil, 0) }) != 0 {
            throw SysError(errno: errno, call: "utimensat", path: path.display)
        }
    }

    /// The corresponding C function is `fsync`.
    public static func fsync(_ fd: Int32, path: FilePath) throws(SysError) {
        while Glibc.fsync(fd) != 0 {
            if errno != EINTR { throw SysError(errno: errno, call: "fsync", path: path.display) }
        }
    }

    /// `fdatasync`: the data and the size, without the timestamps `fsync` would also flush. Enough for an
    /// append-only events file.
    public static func fdatasync(_ fd: Int32, path: FilePath) throws(SysError) {
        while Glibc.fdatasync(fd) != 0 {
            if errno != EINTR { throw SysError(errno: errno, call: "fdatasync", path: path.display) }
        }
    }

    /// Opens a directory and fsyncs it, so a rename into it survives a power cut.
    public static func fsyncDirectory(_ path: FilePath) throws(SysError) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    /// Reads up to `limit` bytes from an open fd.
    public static func read(_ fd: Int32, limit: Int, path: FilePath) throws(SysError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(max(limit, 1), 65536))
        while out.count < limit {
            let want = min(chunk.count, limit - out.count)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, want) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SysError(errno: errno, call: "read", path: path.display)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Reads a whole regular file (up to `limit` bytes).
    public static func readFile(_ path: FilePath, limit: Int = 64 << 20) throws(SysError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        return try read(fd, limit: limit, path: path)
    }

    /// Reads a whole job file (up to `limit` bytes) as `openQueued` opens it: without following a symlink
    /// and without touching its access time.
    public static func readQueued(_ path: FilePath, limit: Int) throws(SysError) -> [UInt8] {
        let fd = try openQueued(path)
        defer { close(fd) }
        return try read(fd, limit: limit, path: path)
    }

    /// Writes a small file in one go (created or truncated).
    public static func writeFile(_ path: FilePath, _ bytes: [UInt8], flags: Int32 = O_WRONLY | O_CREAT | O_TRUNC, mode: mode_t = 0o644) throws(SysError) {
        let fd = try open(path, flags, mode: mode)
        defer { close(fd) }
        try write(fd, bytes, path: path)
    }

    /// The names in a directory, as raw bytes, without "." and "..".
    /// `kind` comes from `d_type` and is `.unknown` on file systems that do not fill it in.
    public static func listDirectory(_ path: FilePath) throws(SysError) -> [DirectoryEntry] {
        guard let dir = path.withCString({ opendir($0) }) else {
            throw SysError(errno: errno, call: "opendir", path: path.display)
        }
        defer { closedir(dir) }
        var entries: [DirectoryEntry] = []
        while true {
            errno = 0
            guard let ent = readdir(dir) else {
                if errno != 0 { throw SysError(errno: errno, call: "readdir", path: path.display) }
                break
            }
            // d_name is NUL-terminated; copy exactly its bytes (names need not be UTF-8).
            let name: [UInt8] = withUnsafeBytes(of: &ent.pointee.d_name) { raw in
                let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
                return [UInt8](UnsafeRawBufferPointer(start: base, count: strnlen(base, raw.count)))
            }
            if name.count <= 2 && name.allSatisfy({ $0 == 0x2E }) { continue }
            let kind: DirectoryEntry.Kind
            switch Int32(ent.pointee.d_type) {
            case Int32(DT_REG): kind = .regular
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_LNK): kind = .symlink
            case Int32(DT_UNKNOWN): kind = .unknown
            default: kind = .other
            }
            entries.append(DirectoryEntry(name: name, kind: kind))
        }
        return entries
    }
}

public struct DirectoryEntry: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case regular, directory, symlink, other, unknown }
    public var name: [UInt8]
    public var kind: Kind
}

/// The parts of `struct stat` the spool uses.
public struct FileStat: Sendable, Equatable {
    public var inode: UInt64
    public var device: UInt64
    public var size: Int
    public var mode: UInt32
    /// Modification time in seconds since the epoch, with nanoseconds.
    public var mtime: Double
    /// Status-change time: a rename sets it, so it tells how long a file has been where it is.
    public var ctime: Double

    init(_ st: Glibc.stat) {
        inode = UInt64(st.st_ino)
        device = UInt64(st.st_dev)
        size = Int(st.st_size)
        mode = st.st_mode
        mtime = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
        ctime = Double(st.st_ctim.tv_sec) + Double(st.st_ctim.tv_nsec) / 1e9
    }

    public var isRegular: Bool { (mode & S_IFMT) == S_IFREG }
    public var isDirectory: Bool { (mode & S_IFMT) == S_IFDIR }
    public var isSymlink: Bool { (mode & S_IFMT) == S_IFLNK }
}
