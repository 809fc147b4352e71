import Foundation

/// Resolves paths the model gives to paths inside the workspace, and refuses everything else: `..` escapes,
/// absolute paths outside it, symlinks that lead out, and git's own files.
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

    /// The absolute path for `path` (relative to the workspace, or absolute inside it).
    /// Symlinks are followed as far as the path exists; every existing prefix must stay inside the workspace.
    public func resolve(_ path: String, allowRoot: Bool = false) throws(Refusal) -> String {
        let trimmed = path.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty && !allowRoot { throw Refusal(path: path, reason: "the path is empty") }
        if trimmed.contains("\0") { throw Refusal(path: path, reason: "the path contains a NUL byte") }
        var relative: [Substring]
        if trimmed.hasPrefix("/") {
            guard trimmed == root || trimmed.hasPrefix(root + "/") else {
                throw Refusal(path: path, reason: "absolute paths must lie inside the workspace (\(root)); use a relative path")
            }
            relative = trimmed.dropFirst(root.count).split(separator: "/")
        } else {
            relative = trimmed.split(separator: "/")
        }
        var parts: [Substring] = []
        for c in relative {
            if c == "." || c.isEmpty { continue }
            if c == ".." {
                guard !parts.isEmpty else { throw Refusal(path: path, reason: "it leaves the workspace through `..`") }
                parts.removeLast()
                continue
            }
            if c == ".git" { throw Refusal(path: path, reason: "git's own files (.git) are off limits; commits are made for you") }
            parts.append(c)
        }
        if parts.isEmpty && !allowRoot { throw Refusal(path: path, reason: "that is the workspace folder itself, not a file") }
        let joined = parts.isEmpty ? root : root + "/" + parts.joined(separator: "/")
        // Follow symlinks of every existing prefix: a link anywhere on the way may point outside.
        var probe = joined
        var suffix: [String] = []
        while !FileManager.default.fileExists(atPath: probe) && probe != root {
            let url = URL(fileURLWithPath: probe)
            // A dangling symlink does not "exist" but must still be checked.
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: probe)) != nil { break }
            suffix.insert(url.lastPathComponent, at: 0)
            probe = url.deletingLastPathComponent().path
        }
        let real = realPath(probe)
        guard real == root || real.hasPrefix(root + "/") else {
            throw Refusal(path: path, reason: "it goes through a symlink that points outside the workspace")
        }
        let final = suffix.isEmpty ? real : real + "/" + suffix.joined(separator: "/")
        if final.split(separator: "/").contains(".git") {
            throw Refusal(path: path, reason: "git's own files (.git) are off limits; commits are made for you")
        }
        return final
    }

    /// Like realpath(3), but a dangling link resolves to where it points.
    func realPath(_ path: String) -> String {
        if let r = realpath(path, nil) {
            defer { free(r) }
            return String(cString: r)
        }
        if let dest = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
            let abs = dest.hasPrefix("/") ? dest : URL(fileURLWithPath: path).deletingLastPathComponent().path + "/" + dest
            return URL(fileURLWithPath: abs).standardizedFileURL.path
        }
        return path
    }

    /// The workspace-relative form of an absolute path inside it.
    public func relative(_ absolute: String) -> String {
        absolute == root ? "." : String(absolute.dropFirst(root.count + 1))
    }
}
