/// config.yaml's `workspace_roots:`: the folders a job's `workspace:` must lie inside, checked when a job is
/// validated, submitted and loaded by a worker. Paths are compared after lexical normalisation (`.`, `..`,
/// repeated `/`), component by component, so `/srv/repos2` is not inside `/srv/repos`. Symlinks are not
/// followed: the check is about what the job file says, and it runs on hosts where the path may not exist.
public struct WorkspaceRoots: Sendable, Equatable {
    /// Absolute and normalised.
    public let roots: [String]
    /// The spool root, absolute and normalised. Relative workspaces are resolved against it, and it always
    /// counts as a root: the default `workspaces/<run id>` folder lives there.
    public let spoolRoot: String

    /// `roots` and `spoolRoot` must be absolute; `..` and `.` in them are resolved here.
    public init(roots: [String], spoolRoot: String) {
        self.roots = roots.map(Self.normalize)
        self.spoolRoot = Self.normalize(spoolRoot)
    }

    /// A workspace as written in a job file, made absolute (relative ones against the spool root) and normalised.
    public func resolve(_ workspace: String) -> String {
        Self.normalize(workspace.hasPrefix("/") ? workspace : spoolRoot + "/" + workspace)
    }

    /// Whether `workspace` (as written in a job file) lies inside the spool or one of the roots, or is one of them.
    public func allows(_ workspace: String) -> Bool {
        let path = Self.components(resolve(workspace))
        return ([spoolRoot] + roots).contains { root in
            let r = Self.components(root)
            return path.count >= r.count && Array(path.prefix(r.count)) == r
        }
    }

    /// `/a/./b//c/../d` → `/a/b/d`; `..` at the top stays at `/`, as the kernel does. Relative input stays relative.
    public static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var out: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                if let last = out.last, last != ".." { out.removeLast() } else if !absolute { out.append(part) }
            default: out.append(part)
            }
        }
        let joined = out.joined(separator: "/")
        return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    static func components(_ normalized: String) -> [Substring] {
        normalized.split(separator: "/", omittingEmptySubsequences: true)
    }
}
