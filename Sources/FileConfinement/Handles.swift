#if canImport(Glibc)
import Glibc
#endif

/// An open folder. Owns its descriptor and closes it in `deinit`; every call below takes a single name
/// and never follows a symlink, so what it opens is what the descriptor's folder holds now.
///
/// `@unchecked Sendable`: the only state is an immutable descriptor, and the `*at` calls made with it do not
/// depend on a shared offset, so threads may use one handle at the same time.
public final class DirectoryHandle: @unchecked Sendable {
    let fd: Int32

    /// Takes ownership of `fd`, an open folder.
    init(owning fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// Opens a folder by path; `followLinks: false` refuses a symlink as the last component.
    public convenience init(path: String, followLinks: Bool) throws(ConfinementError) {
        try self.init(pathBytes: Array(path.utf8), followLinks: followLinks)
    }

    /// The same for a path held as bytes (a spool's paths need not be UTF-8).
    public convenience init(pathBytes: [UInt8], followLinks: Bool) throws(ConfinementError) {
        let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (followLinks ? 0 : O_NOFOLLOW)
        let cPath = pathBytes.map { CChar(bitPattern: $0) } + [0]
        let path = String(decoding: pathBytes, as: UTF8.self)
        let fd = retrying { Glibc.open(cPath, flags) }
        guard fd >= 0 else {
            let e = errno
            switch e {
            case ENOENT: throw .notFound(path: path)
            case ENOTDIR: throw .notADirectory(path: path)
            case ELOOP: throw .symlinkRefused(path: path)
            default: throw .system(path: path, call: "open", errno: e)
            }
        }
        self.init(owning: fd)
    }

    /// What one entry is, seen without following it (fstatat with AT_SYMLINK_NOFOLLOW).
    public enum Kind: Sendable, Equatable { case file, directory, symlink, other }

    public struct Entry: Sendable, Equatable {
        public var name: String
        public var kind: Kind
        public var size: Int
        /// Seconds since 1970, with the nanoseconds.
        public var mtime: Double
    }

    /// The entries of the folder except `.` and `..`, unsorted. An entry removed while reading is left out.
    public func entries() throws(ConfinementError) -> [Entry] {
        // fdopendir takes over the descriptor it is given, and readdir moves its offset: give it a copy of its own.
        let copy = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard copy >= 0 else { throw .system(path: "", call: "openat", errno: errno) }
        guard let dir = fdopendir(copy) else {
            let e = errno
            close(copy)
            throw .system(path: "", call: "fdopendir", errno: e)
        }
        defer { closedir(dir) }
        var out: [Entry] = []
        while let ent = readdir(dir) {
            let name = withUnsafeBytes(of: &ent.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            guard let st = status(name) else { continue }
            let kind: Kind = switch st.st_mode & S_IFMT {
            case S_IFREG: .file
            case S_IFDIR: .directory
            case S_IFLNK: .symlink
            default: .other
            }
            out.append(Entry(name: name, kind: kind, size: Int(st.st_size),
                             mtime: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9))
        }
        return out
    }

    /// fstatat(…, AT_SYMLINK_NOFOLLOW); nil when the entry is gone.
    public func status(_ name: String) -> stat? {
        var st = stat()
        return fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st : nil
    }

    /// openat(fd, name, flags | O_NOFOLLOW | O_CLOEXEC): the raw descriptor, or the errno.
    func open(_ name: String, _ flags: Int32, mode: mode_t = 0) -> Result<Int32, Errno> {
        let fd = retrying { openat(self.fd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode) }
        return fd >= 0 ? .success(fd) : .failure(Errno(errno))
    }

    /// The subfolder `name`, which must be a real folder and not a link to one.
    public func subdirectory(_ name: String) throws(ConfinementError) -> DirectoryHandle {
        switch open(name, O_RDONLY | O_DIRECTORY) {
        case .success(let fd): return DirectoryHandle(owning: fd)
        case .failure(let e) where e.code == ENOENT: throw .notFound(path: name)
        case .failure(let e) where e.code == ENOTDIR || e.code == ELOOP:
            throw status(name).map { $0.st_mode & S_IFMT == S_IFLNK } == true ? .symlinkRefused(path: name) : .notADirectory(path: name)
        case .failure(let e): throw .system(path: name, call: "openat", errno: e.code)
        }
    }

    /// The regular file `name`, opened for reading; a symlink, folder, FIFO or device is refused.
    public func file(_ name: String) throws(ConfinementError) -> OpenFile {
        switch open(name, O_RDONLY | O_NONBLOCK) {
        case .success(let fd):
            var st = stat()
            guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
                close(fd)
                throw .notARegularFile(path: name)
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            return OpenFile(owning: fd, size: Int(st.st_size), path: name)
        case .failure(let e) where e.code == ENOENT: throw .notFound(path: name)
        case .failure(let e) where e.code == ELOOP: throw .symlinkRefused(path: name)
        case .failure(let e): throw .system(path: name, call: "openat", errno: e.code)
        }
    }

    /// readlinkat: the target of the symlink `name`, or nil when `name` is not (or no longer) a symlink.
    func linkTarget(_ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = buffer.withUnsafeMutableBufferPointer { readlinkat(fd, name, $0.baseAddress!, $0.count - 1) }
        guard n >= 0 else { return nil }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// mkdirat(fd, name, 0777): true when made or already there (the walk opens it next, without following links).
    func makeDirectory(_ name: String) -> Result<Void, Errno> {
        mkdirat(fd, name, 0o777) == 0 || errno == EEXIST ? .success(()) : .failure(Errno(errno))
    }
}

/// An open regular file. Owns its descriptor and closes it in `deinit`.
///
/// `@unchecked Sendable`: the descriptor never changes; reads share its offset, so one reader at a time.
public final class OpenFile: @unchecked Sendable {
    let fd: Int32
    /// The size when it was opened.
    public let size: Int
    /// The physical path from the confined folder's root, for messages.
    public let path: String

    init(owning fd: Int32, size: Int, path: String) {
        self.fd = fd
        self.size = size
        self.path = path
    }

    deinit { close(fd) }

    /// The next chunk of up to `max` bytes; empty at the end.
    public func read(max: Int = 64 * 1024) throws(ConfinementError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        let n = retrying { buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) } }
        if n < 0 { throw .system(path: path, call: "read", errno: errno) }
        buffer.removeSubrange(n...)
        return buffer
    }

    /// Everything from the current offset to the end, or nil when it is longer than `limit` bytes.
    public func readAll(limit: Int = .max) throws(ConfinementError) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(min(size, limit))
        while true {
            let chunk = try read(max: 256 * 1024)
            if chunk.isEmpty { return out }
            out += chunk
            if out.count > limit { return nil }
        }
    }

    /// Writes all of `bytes` at the current offset (write(2) until done).
    public func write(_ bytes: [UInt8]) throws(ConfinementError) {
        var done = 0
        while done < bytes.count {
            let n = retrying { bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) } }
            if n < 0 { throw .system(path: path, call: "write", errno: errno) }
            done += n
        }
    }

    /// Replaces the whole content in place: ftruncate(0), lseek(0), write. The file keeps its inode and mode.
    public func replaceContents(_ bytes: [UInt8]) throws(ConfinementError) {
        guard retrying({ ftruncate(fd, 0) }) == 0 else { throw .system(path: path, call: "ftruncate", errno: errno) }
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw .system(path: path, call: "lseek", errno: errno) }
        try write(bytes)
    }
}

/// An errno value, so results can carry it.
struct Errno: Error {
    let code: Int32
    init(_ code: Int32) { self.code = code }
}

/// Runs a system call again while it fails with EINTR.
@inline(__always)
func retrying<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let r = call()
        if r < 0 && errno == EINTR { continue }
        return r
    }
}
