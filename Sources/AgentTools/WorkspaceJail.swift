import FileConfinement
import Foundation

/// Opens the paths the model gives inside the workspace, and refuses everything else: `..` escapes,
/// absolute paths outside it, symlinks that lead out, and git's own files.
///
/// Nothing is checked as a string and opened later: the path is split here, and `ConfinedDirectory` walks it
/// from the workspace's descriptor with `openat(…, O_NOFOLLOW)`, following a link only to a place inside.
/// A symlink swapped in while a tool runs is therefore either refused or never reached.
public struct WorkspaceJail: Sendable {
    /// The workspace, with symlinks resolved.
    public let root: String

    public init(root: String) {
        self.root = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
    }

    public struct Refusal: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "refused \"\(path)\": \(reason)" }
    }

    static let gitReason = "git's own files (.git) are off limits; commits are made for you"

    /// What a path led to, with the workspace it was opened in (for walks that resolve links below it).
    struct Target {
        let workspace: ConfinedDirectory
        let opened: ConfinedDirectory.Opened
        /// The physical workspace-relative path (links resolved), "." for the workspace itself.
        let path: String
    }

    /// Opens `path` (relative to the workspace, or absolute inside it) for `intent`. Refusals throw `Refusal`;
    /// a path that is fine but does not work (missing, a folder, not a regular file) throws `FileProblem`.
    func open(_ path: String, _ intent: ConfinedDirectory.Intent, allowRoot: Bool = false) throws -> Target {
        let parts = try components(path, allowRoot: allowRoot)
        let shown = parts.isEmpty ? "." : parts.joined(separator: "/")
        let workspace = try self.workspace()
        do {
            let (opened, physical) = try workspace.open(parts, intent)
            return Target(workspace: workspace, opened: opened, path: physical.isEmpty ? "." : physical)
        } catch {
            throw explain(error, path: path, shown: shown)
        }
    }

    /// The workspace folder, opened for one tool call.
    func workspace() throws(FileProblem) -> ConfinedDirectory {
        do { return try ConfinedDirectory(path: root, links: .followInside, forbidden: [".git"]) } catch {
            throw FileProblem(message: "the workspace cannot be opened (\(error.description)); the step cannot use file tools")
        }
    }

    /// The workspace-relative components of `path`, with `.` and `..` applied as written (the walk applies
    /// those inside link targets to the folders it actually went through).
    func components(_ path: String, allowRoot: Bool) throws(Refusal) -> [String] {
        let trimmed = path.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty && !allowRoot { throw Refusal(path: path, reason: "the path is empty") }
        if trimmed.contains("\0") { throw Refusal(path: path, reason: "the path contains a NUL byte") }
        let relative: [Substring]
        if trimmed.hasPrefix("/") {
            guard trimmed == root || trimmed.hasPrefix(root + "/") else {
                throw Refusal(path: path, reason: "absolute paths must lie inside the workspace (\(root)); use a relative path")
            }
            relative = trimmed.dropFirst(root.count).split(separator: "/")
        } else {
            relative = trimmed.split(separator: "/")
        }
        var parts: [String] = []
        for c in relative {
            if c == "." || c.isEmpty { continue }
            if c == ".." {
                guard !parts.isEmpty else { throw Refusal(path: path, reason: "it leaves the workspace through `..`") }
                parts.removeLast()
                continue
            }
            if c == ".git" { throw Refusal(path: path, reason: Self.gitReason) }
            parts.append(String(c))
        }
        if parts.isEmpty && !allowRoot { throw Refusal(path: path, reason: "that is the workspace folder itself, not a file") }
        return parts
    }

    /// The message the model reads for a failed walk: a refusal when the path tried to leave, else what is wrong.
    func explain(_ error: ConfinementError, path: String, shown: String) -> any Error {
        let at = error.path.isEmpty ? "." : error.path
        switch error {
        case .leavesThroughDotDot: return Refusal(path: path, reason: "it leaves the workspace through `..`")
        case .symlinkLeadsOutside, .symlinkRefused:
            return Refusal(path: path, reason: "it goes through a symlink that points outside the workspace (\(at))")
        case .tooManySymlinks:
            return Refusal(path: path, reason: "it goes through more than \(ConfinedDirectory.maxSymlinks) symlinks (a loop at \(at)?)")
        case .forbiddenName: return Refusal(path: path, reason: Self.gitReason)
        case .invalidComponent: return Refusal(path: path, reason: error.description)
        case .notFound:
            return FileProblem(message: at == shown ? "\(shown) does not exist" : "\(shown) does not exist (there is no \(at))")
        case .notADirectory:
            return FileProblem(message: at == shown ? "\(shown) is a file, not a folder" : "\(at) is a file, so \(shown) cannot lie inside it")
        case .isADirectory: return FileProblem(message: "\(at) is a folder; use list_files to see what it holds")
        case .notARegularFile: return FileProblem(message: "\(at) is not a regular file (a FIFO, socket or device); the file tools read and write regular files only")
        case .system: return FileProblem(message: "\(shown): \(error.description)")
        }
    }
}

/// A file tool's failure that is not a refusal (a missing file, a folder where a file was meant, an I/O error).
/// The message goes back to the model as it is.
struct FileProblem: Error {
    let message: String
}
