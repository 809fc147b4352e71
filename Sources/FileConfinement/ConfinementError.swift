#if canImport(Glibc)
import Glibc
#endif

/// Why a path below a confined folder was not opened. Every `path` is the physical path from the root,
/// as far as the walk got (after following links), so the caller can say which component failed.
public enum ConfinementError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A `..` in the given path would climb above the root.
    case leavesThroughDotDot(path: String)
    /// A symlink on the way points above or outside the root (also when it dangles there).
    case symlinkLeadsOutside(path: String)
    /// A symlink on the way, where the policy is `.refuse`.
    case symlinkRefused(path: String)
    /// More than `ConfinedDirectory.maxSymlinks` links on the way (a loop, most likely).
    case tooManySymlinks(path: String)
    /// A component (given, or from a link's target) is one of the forbidden names, such as `.git`.
    case forbiddenName(path: String, name: String)
    /// A component is empty, `.`/`..` where those are not allowed, or holds `/` or NUL.
    case invalidComponent(path: String, component: String)
    case notFound(path: String)
    /// A component on the way is a file, not a folder.
    case notADirectory(path: String)
    /// A file was asked for and the path names a folder.
    case isADirectory(path: String)
    /// A FIFO, socket or device: the tools and the API read and write regular files only.
    case notARegularFile(path: String)
    /// Any other failure of the named system call.
    case system(path: String, call: String, errno: Int32)

    public var path: String {
        switch self {
        case .leavesThroughDotDot(let p), .symlinkLeadsOutside(let p), .symlinkRefused(let p), .tooManySymlinks(let p),
             .forbiddenName(let p, _), .invalidComponent(let p, _), .notFound(let p), .notADirectory(let p),
             .isADirectory(let p), .notARegularFile(let p), .system(let p, _, _): p
        }
    }

    public var description: String {
        let p = path.isEmpty ? "." : path
        return switch self {
        case .leavesThroughDotDot: "\(p): `..` leaves the folder; use a path inside it"
        case .symlinkLeadsOutside: "\(p) is a symlink that leads outside the folder"
        case .symlinkRefused: "\(p) is a symlink; only real files and folders are opened"
        case .tooManySymlinks: "\(p): more than \(ConfinedDirectory.maxSymlinks) symlinks on the way (a loop?)"
        case .forbiddenName(_, let name): "\(p): \(name) is off limits"
        case .invalidComponent(_, let c): "\(p): the component \"\(c)\" is not a plain name"
        case .notFound: "\(p) does not exist"
        case .notADirectory: "\(p) is a file, not a folder"
        case .isADirectory: "\(p) is a folder, not a file"
        case .notARegularFile: "\(p) is not a regular file"
        case .system(_, let call, let e): "\(call) \(p) failed: \(String(cString: strerror(e)))"
        }
    }
}
