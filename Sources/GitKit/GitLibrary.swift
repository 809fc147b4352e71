import CGit2

/// Process-wide libgit2 state. libgit2 must be initialised once before any other call;
/// `GitLibrary.shared` does that lazily and is safe to touch from any thread.
public final class GitLibrary: Sendable {
    public static let shared = GitLibrary()

    private init() {
        git_libgit2_init()
        // Trees and commits here are built only from the index and objects this process just wrote, so
        // checking that each named object exists only re-reads every blob's header (the git CLI does not).
        _ = ar_git_set_strict_object_creation(0)
    }

    /// The linked libgit2 version, for `agent-runner version` and bug reports.
    public var version: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        git_libgit2_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}
