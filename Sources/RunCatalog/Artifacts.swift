#if canImport(Glibc)
import Glibc
#endif
import SpoolCore

/// Why an artifact cannot be served. Each case maps to one HTTP status in the API.
public enum ArtifactError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `..`, `.`, an empty component, an encoded `/` or NUL, or bad percent-encoding: 400.
    case invalidPath(String)
    /// A symlink somewhere on the way, or not a regular file: 403.
    case refused(String)
    case notFound(String)
    case io(String)

    public var description: String {
        switch self {
        case .invalidPath(let m), .refused(let m), .notFound(let m), .io(let m): m
        }
    }
}

/// An open artifact. Owns the descriptor and closes it when released.
public final class ArtifactFile: @unchecked Sendable {
    public let size: Int
    public let path: String
    private let fd: Int32

    init(fd: Int32, size: Int, path: String) {
        self.fd = fd
        self.size = size
        self.path = path
    }

    deinit { close(fd) }

    /// The next chunk, empty at the end.
    public func read(max: Int = 64 * 1024) throws(ArtifactError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw .io("cannot read artifact \(path): \(String(cString: strerror(errno)))") }
            buffer.removeSubrange(n...)
            return buffer
        }
    }
}

/// Lists and opens files under a run's `RUN.artifacts/` folder, never anything outside it: every path
/// component is opened with `openat(…, O_NOFOLLOW)` from the folder's own descriptor, so neither `..`
/// nor a symlink (placed by a step, an agent tool or a person) leads out.
public struct ArtifactStore: Sendable {
    public let spool: Spool
    public init(spool: Spool) { self.spool = spool }

    public struct Item: Sendable, Equatable {
        public var path: String
        public var size: Int
        public var mtime: Double
    }

    /// Splits a raw (still percent-encoded) URL path into checked components.
    public static func components(rawPath: Substring) throws(ArtifactError) -> [String] {
        guard !rawPath.isEmpty else { throw .invalidPath("no artifact path given") }
        var out: [String] = []
        for raw in rawPath.split(separator: "/", omittingEmptySubsequences: false) {
            guard let decoded = percentDecode(raw) else { throw .invalidPath("bad percent-encoding in the artifact path") }
            if decoded.isEmpty { throw .invalidPath("the artifact path has an empty component") }
            if decoded == "." || decoded == ".." { throw .invalidPath("artifact paths may not contain . or .. components") }
            if decoded.contains("/") || decoded.contains("\0") || decoded.contains("\\") {
                throw .invalidPath("an artifact path component may not contain an encoded /, \\ or NUL")
            }
            out.append(decoded)
        }
        return out
    }

    static func percentDecode(_ s: Substring) -> String? {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "%") {
                guard it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) else { return nil }
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(c)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Every regular file under the run's artifacts folder, sorted by path. Symlinks are left out.
    public func list(_ run: RunID, in folder: RunState) throws(ArtifactError) -> [Item] {
        let root = spool.artifactsDir(run, in: folder)
        let fd = root.withCString { Glibc.open($0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        if fd < 0 {
            if errno == ENOENT { return [] }
            throw .io("cannot open the artifacts of \(run): \(String(cString: strerror(errno)))")
        }
        var items: [Item] = []
        walk(fd, prefix: "", depth: 0, into: &items)
        return items.sorted { $0.path < $1.path }
    }

    /// Takes ownership of `dirfd`.
    private func walk(_ dirfd: Int32, prefix: String, depth: Int, into items: inout [Item]) {
        guard let dir = fdopendir(dirfd) else { close(dirfd); return }
        defer { closedir(dir) }
        while let ent = readdir(dir) {
            let name = withUnsafeBytes(of: &ent.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            var st = stat()
            guard fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            let path = prefix.isEmpty ? name : prefix + "/" + name
            switch st.st_mode & S_IFMT {
            case S_IFREG:
                items.append(Item(path: path, size: Int(st.st_size),
                                  mtime: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9))
            case S_IFDIR where depth < 16:
                let sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if sub >= 0 { walk(sub, prefix: path, depth: depth + 1, into: &items) }
            default: continue
            }
        }
    }

    /// Opens one artifact for reading, component by component.
    public func open(_ run: RunID, in folder: RunState, components: [String]) throws(ArtifactError) -> ArtifactFile {
        let shown = components.joined(separator: "/")
        let root = spool.artifactsDir(run, in: folder)
        var dirfd = root.withCString { Glibc.open($0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        if dirfd < 0 { throw .notFound("run \(run) has no artifacts") }
        defer { close(dirfd) }
        for (i, comp) in components.enumerated() {
            let last = i == components.count - 1
            let flags = last ? O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC : O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
            let fd = openat(dirfd, comp, flags)
            if fd < 0 {
                let err = errno
                // O_NOFOLLOW reports a symlink as ELOOP, or as ENOTDIR together with O_DIRECTORY: look at what is there.
                var st = stat()
                if (err == ELOOP || err == ENOTDIR) && fstatat(dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_mode & S_IFMT == S_IFLNK {
                    throw .refused("\(shown) goes through a symlink; artifacts are served only as regular files inside the run's folder")
                }
                switch err {
                case ENOENT, ENOTDIR: throw .notFound("no artifact \(shown) in run \(run)")
                default: throw .io("cannot open artifact \(shown): \(String(cString: strerror(err)))")
                }
            }
            if last {
                var st = stat()
                guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
                    close(fd)
                    throw .refused("\(shown) is not a regular file")
                }
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
                return ArtifactFile(fd: fd, size: Int(st.st_size), path: shown)
            }
            close(dirfd)
            dirfd = fd
        }
        throw .invalidPath("no artifact path given")
    }
}
