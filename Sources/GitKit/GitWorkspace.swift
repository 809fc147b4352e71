/// A plain repository (no worktree): open or create it and commit everything in it. Used by
/// `agent-runner git-commit` (the benchmark's libgit2 side) and by jobs that commit in place.
public final class GitWorkspace {
    let repo: Repo

    public init(path: String) throws(GitError) {
        repo = try RunWorktree.openOrInit(path)
    }

    public func commitAll(message: String, author: GitSignature) throws(GitError) -> GitCommitInfo? {
        try RunWorktree.commitAll(repo, message: message, author: author)
    }
}
