#if canImport(Glibc)
import Glibc
#endif

/// A folder that paths are opened below, and never outside: the walk starts at the root's descriptor and
/// opens one component at a time with `openat(…, O_NOFOLLOW)` from the descriptor of the folder before it.
/// No path is checked as a string and opened later, so a symlink swapped in at any moment is either seen
/// by the walk (and followed only inside, or refused) or not reached at all.
///
/// Symlinks are refused outright (`.refuse`, for the API's artifacts) or followed inside the root
/// (`.followInside`, for repositories that hold links): the target is read with `readlinkat` and walked
/// in turn, a relative one from the link's folder and an absolute one from the root, with the same checks.
/// `..` goes back to the folder the walk came from, so it can never climb above the root.
public final class ConfinedDirectory: Sendable {
    public enum Links: Sendable { case refuse, followInside }

    /// What the last component must be and how it is opened.
    public enum Intent: Sendable, Equatable {
        /// A folder (the result is `.directory`).
        case directory
        /// A regular file or a folder, whichever it is: where a tool accepts either.
        case fileOrDirectory
        /// A regular file, for reading.
        case read
        /// A regular file, read and written in place (the same inode throughout).
        case readWrite
        /// A regular file, created or truncated; missing parent folders are made with `mkdirat`.
        case write(mode: mode_t = 0o666)
    }

    public enum Opened: Sendable {
        case directory(DirectoryHandle)
        case file(OpenFile)
    }

    /// Links followed on one walk before it gives up, like the kernel's limit of 40.
    public static let maxSymlinks = 40

    /// The root as opened; the prefix that absolute link targets must have.
    public let path: String
    public let links: Links
    /// Names refused anywhere on the way, also when a link's target leads through them.
    public let forbidden: Set<String>
    let root: DirectoryHandle
    let prefixes: [String]

    /// Opens the root. `followRootLinks: false` refuses a root that is itself a symlink.
    public convenience init(path: String, links: Links, forbidden: Set<String> = [], followRootLinks: Bool = true) throws(ConfinementError) {
        self.init(root: try DirectoryHandle(path: path, followLinks: followRootLinks), path: path, links: links, forbidden: forbidden)
    }

    /// Confines to a folder already open; `path` is where it is, for absolute link targets and messages.
    public init(root: DirectoryHandle, path: String, links: Links, forbidden: Set<String> = []) {
        self.root = root
        self.path = path
        self.links = links
        self.forbidden = forbidden
        var prefixes = [path]
        if let real = realpath(path, nil) {
            prefixes.append(String(cString: real))
            free(real)
        }
        self.prefixes = prefixes
    }

    /// The root folder itself.
    public var handle: DirectoryHandle { root }

    /// Opens `components` below the root. The result's `path` is the physical path from the root (links
    /// resolved), which is what messages and listings should show.
    public func open(_ components: [String], _ intent: Intent) throws(ConfinementError) -> (opened: Opened, path: String) {
        var walk = Walk(root: root, pending: components.reversed())
        while let name = walk.pending.popLast() {
            if name.isEmpty || name == "." { continue }
            if name == ".." {
                guard walk.names.popLast() != nil else {
                    throw walk.lastLink.map { ConfinementError.symlinkLeadsOutside(path: $0) } ?? .leavesThroughDotDot(path: walk.shown)
                }
                walk.folders.removeLast()
                continue
            }
            if name.contains("/") || name.contains("\0") { throw .invalidComponent(path: walk.shown, component: name) }
            if forbidden.contains(name) { throw .forbiddenName(path: walk.shown(name), name: name) }
            let folder = walk.folders.last!
            let isLast = walk.pending.allSatisfy { $0.isEmpty || $0 == "." }
            let result: Result<Int32, Errno>
            if isLast, let flags = intent.fileFlags {
                result = folder.open(name, flags | O_NONBLOCK, mode: intent.mode)
            } else {
                result = folder.open(name, O_RDONLY | O_DIRECTORY)
            }
            switch result {
            case .success(let fd):
                if isLast, intent.fileFlags != nil { return try finish(fd, intent, walk.shown(name)) }
                walk.folders.append(DirectoryHandle(owning: fd))
                walk.names.append(name)
            case .failure(let e) where e.code == ELOOP || e.code == ENOTDIR || e.code == EMLINK:
                // O_NOFOLLOW reports a symlink as ELOOP, or as ENOTDIR together with O_DIRECTORY.
                if let target = folder.linkTarget(name) {
                    try follow(target, from: name, &walk)
                } else if e.code == ENOTDIR, let st = folder.status(name), st.st_mode & S_IFMT != S_IFDIR,
                          st.st_mode & S_IFMT != S_IFLNK {
                    throw .notADirectory(path: walk.shown(name))
                } else {
                    // Swapped back from a link between the open and readlinkat: try the name again, as one more hop.
                    try walk.hop()
                    walk.pending.append(name)
                }
            case .failure(let e) where e.code == ENOENT:
                if case .write = intent, !isLast {
                    if case .failure(let m) = folder.makeDirectory(name) { throw .system(path: walk.shown(name), call: "mkdirat", errno: m.code) }
                    try walk.hop()  // bounds a folder that keeps disappearing
                    walk.pending.append(name)
                    continue
                }
                throw .notFound(path: walk.shown(name))
            case .failure(let e) where e.code == EISDIR:
                throw .isADirectory(path: walk.shown(name))
            case .failure(let e) where e.code == ENXIO || e.code == ENODEV:
                throw .notARegularFile(path: walk.shown(name))
            case .failure(let e):
                throw .system(path: walk.shown(name), call: "openat", errno: e.code)
            }
        }
        // The path ends at a folder (it was empty, or ended in `.` or `..`, or its last component is one).
        if intent == .directory || intent == .fileOrDirectory {
            return (.directory(walk.folders.last!), walk.shown)
        }
        throw .isADirectory(path: walk.shown)
    }

    /// Checks the opened last component: a folder where one is accepted, otherwise a regular file.
    private func finish(_ fd: Int32, _ intent: Intent, _ shown: String) throws(ConfinementError) -> (opened: Opened, path: String) {
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw .system(path: shown, call: "fstat", errno: e)
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            return (.file(OpenFile(owning: fd, size: Int(st.st_size), path: shown)), shown)
        case S_IFDIR where intent == .fileOrDirectory:
            return (.directory(DirectoryHandle(owning: fd)), shown)
        case S_IFDIR:
            close(fd)
            throw .isADirectory(path: shown)
        default:
            close(fd)
            throw .notARegularFile(path: shown)
        }
    }

    /// Puts a link's target in front of what is left to walk.
    private func follow(_ target: String, from name: String, _ walk: inout Walk) throws(ConfinementError) {
        guard links == .followInside else { throw .symlinkRefused(path: walk.shown(name)) }
        try walk.hop()
        walk.lastLink = walk.shown(name)
        var rest = Substring(target)
        if target.hasPrefix("/") {
            guard let inside = prefixes.lazy.compactMap({ Self.below($0, target) }).first else {
                throw .symlinkLeadsOutside(path: walk.shown(name))
            }
            rest = inside
            walk.folders = [root]
            walk.names = []
        }
        walk.pending.append(contentsOf: rest.split(separator: "/", omittingEmptySubsequences: true).map(String.init).reversed())
    }

    /// `target` relative to `prefix`, or nil when it is not below it.
    static func below(_ prefix: String, _ target: String) -> Substring? {
        if target == prefix { return "" }
        let p = prefix.hasSuffix("/") ? prefix : prefix + "/"
        return target.hasPrefix(p) ? target.dropFirst(p.count) : nil
    }

    /// Where one walk is: the folders opened from the root (their descriptors held, so `..` returns to them),
    /// their names, and the components still to walk (last first).
    struct Walk {
        var folders: [DirectoryHandle]
        var names: [String] = []
        var pending: [String]
        /// The last link followed, named in the error when a `..` from its target climbs above the root.
        var lastLink: String?
        var hops = 0

        init(root: DirectoryHandle, pending: ReversedCollection<[String]>) {
            self.folders = [root]
            self.pending = Array(pending)
        }

        var shown: String { names.joined(separator: "/") }
        func shown(_ name: String) -> String { names.isEmpty ? name : shown + "/" + name }

        mutating func hop() throws(ConfinementError) {
            hops += 1
            if hops > ConfinedDirectory.maxSymlinks { throw .tooManySymlinks(path: shown) }
        }
    }
}

extension ConfinedDirectory.Intent {
    /// The open flags of the last component, or nil for a folder.
    var fileFlags: Int32? {
        switch self {
        case .directory: nil
        case .fileOrDirectory, .read: O_RDONLY
        case .readWrite: O_RDWR
        case .write: O_WRONLY | O_CREAT | O_TRUNC
        }
    }

    var mode: mode_t {
        if case .write(let mode) = self { return mode }
        return 0
    }
}
