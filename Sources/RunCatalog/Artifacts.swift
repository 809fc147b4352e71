import FileConfinement
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

/// An open artifact: a regular file opened inside the run's artifacts folder.
public final class ArtifactFile: Sendable {
    public var size: Int { file.size }
    public let path: String
    private let file: OpenFile

    init(_ file: OpenFile, path: String) {
        self.file = file
        self.path = path
    }

    /// The next chunk, empty at the end.
    public func read(max: Int = 64 * 1024) throws(ArtifactError) -> [UInt8] {
        do { return try file.read(max: max) } catch {
            throw .io("cannot read artifact \(path): \(error.description)")
        }
    }
}

/// Lists and opens files under a run's `RUN.artifacts/` folder, never anything outside it: every path
/// component is opened with `openat(…, O_NOFOLLOW)` from the folder's own descriptor (`ConfinedDirectory`
/// with `.refuse`, the same walk the agent's file tools use), so neither `..` nor a symlink (placed by a step,
/// an agent tool or a person) leads out.
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
        let root: DirectoryHandle
        do { root = try DirectoryHandle(pathBytes: spool.artifactsDir(run, in: folder).bytes, followLinks: false) } catch {
            if case .notFound = error { return [] }
            throw .io("cannot open the artifacts of \(run): \(error.description)")
        }
        var items: [Item] = []
        walk(root, prefix: "", depth: 0, into: &items)
        return items.sorted { $0.path < $1.path }
    }

    private func walk(_ dir: DirectoryHandle, prefix: String, depth: Int, into items: inout [Item]) {
        guard let entries = try? dir.entries() else { return }
        for entry in entries {
            let path = prefix.isEmpty ? entry.name : prefix + "/" + entry.name
            switch entry.kind {
            case .file: items.append(Item(path: path, size: entry.size, mtime: entry.mtime))
            case .directory where depth < 16:
                if let sub = try? dir.subdirectory(entry.name) { walk(sub, prefix: path, depth: depth + 1, into: &items) }
            default: continue
            }
        }
    }

    /// Opens one artifact for reading, component by component, refusing every symlink.
    public func open(_ run: RunID, in folder: RunState, components: [String]) throws(ArtifactError) -> ArtifactFile {
        let shown = components.joined(separator: "/")
        guard !components.isEmpty else { throw .invalidPath("no artifact path given") }
        let path = spool.artifactsDir(run, in: folder)
        let dir: ConfinedDirectory
        do { dir = ConfinedDirectory(root: try DirectoryHandle(pathBytes: path.bytes, followLinks: false), path: path.display, links: .refuse) } catch {
            throw .notFound("run \(run) has no artifacts")
        }
        let opened: ConfinedDirectory.Opened
        do { opened = try dir.open(components, .read).opened } catch {
            switch error {
            case .symlinkRefused, .symlinkLeadsOutside, .tooManySymlinks:
                throw .refused("\(shown) goes through a symlink; artifacts are served only as regular files inside the run's folder")
            case .isADirectory, .notARegularFile: throw .refused("\(shown) is not a regular file")
            case .notFound, .notADirectory: throw .notFound("no artifact \(shown) in run \(run)")
            case .leavesThroughDotDot, .invalidComponent, .forbiddenName: throw .invalidPath(error.description)
            case .system: throw .io("cannot open artifact \(shown): \(error.description)")
            }
        }
        guard case .file(let file) = opened else { throw .refused("\(shown) is not a regular file") }
        return ArtifactFile(file, path: shown)
    }
}
