import CGit2

/// A `git_reference`, freed in deinit.
final class Reference {
    private let pointer: OpaquePointer
    private let path: String

    /// The reference called `name` (such as "refs/heads/main").
    init(lookup name: String, in repo: Repo) throws(GitError) {
        var r: OpaquePointer?
        try check("find \(name)", repo.path, repo.withUnsafePointer { git_reference_lookup(&r, $0, name) })
        pointer = r!
        path = repo.path
    }

    /// Creates `name` pointing at `id`; fails if it exists.
    init(creating name: String, id: git_oid, logMessage: String, in repo: Repo, operation: String) throws(GitError) {
        var id = id
        var r: OpaquePointer?
        try check(operation, repo.path, repo.withUnsafePointer { git_reference_create(&r, $0, name, &id, 0, logMessage) })
        pointer = r!
        path = repo.path
    }

    /// Creates the branch `name` at `commit`; fails if it exists.
    init(branch name: String, at commit: Commit, in repo: Repo) throws(GitError) {
        var r: OpaquePointer?
        let rc = repo.withUnsafePointer { p in commit.withUnsafePointer { git_branch_create(&r, p, name, $0, 0) } }
        try check("create branch \(name)", repo.path, rc)
        pointer = r!
        path = repo.path
    }

    deinit { git_reference_free(pointer) }

    func withUnsafePointer<R, E: Error>(_ body: (OpaquePointer) throws(E) -> R) throws(E) -> R { try body(pointer) }

    /// Deletes the reference from the repository (this object stays valid until deinit).
    func delete() throws(GitError) {
        try check("delete a reference", path, git_reference_delete(pointer))
    }
}

/// A `git_worktree`: git's record of a linked working tree, freed in deinit.
final class Worktree {
    private let pointer: OpaquePointer
    private let path: String

    /// The worktree `name` of `repo`; `path` names it in errors.
    init(lookup name: String, in repo: Repo, path: String) throws(GitError) {
        var w: OpaquePointer?
        try check("find worktree", path, repo.withUnsafePointer { git_worktree_lookup(&w, $0, name) })
        pointer = w!
        self.path = path
    }

    /// `git worktree add PATH BRANCH`, with `branch` checked out at `path`.
    init(adding name: String, at path: String, branch: Reference, in repo: Repo) throws(GitError) {
        var opts = git_worktree_add_options()
        git_worktree_add_options_init(&opts, UInt32(GIT_WORKTREE_ADD_OPTIONS_VERSION))
        var w: OpaquePointer?
        let rc = repo.withUnsafePointer { r in
            branch.withUnsafePointer { ref in
                opts.ref = ref
                return git_worktree_add(&w, r, name, path, &opts)
            }
        }
        try check("add worktree", path, rc)
        pointer = w!
        self.path = path
    }

    deinit { git_worktree_free(pointer) }

    /// Deletes the working tree's folder and git's record of it, even where the worktree is still valid.
    func prune() throws(GitError) {
        var prune = git_worktree_prune_options()
        git_worktree_prune_options_init(&prune, UInt32(GIT_WORKTREE_PRUNE_OPTIONS_VERSION))
        prune.flags = GIT_WORKTREE_PRUNE_VALID.rawValue | GIT_WORKTREE_PRUNE_WORKING_TREE.rawValue
        try check("prune worktree", path, git_worktree_prune(pointer, &prune))
    }
}

/// A read-only `git_config` snapshot of a repository's configuration, freed in deinit.
final class ConfigSnapshot {
    private let pointer: OpaquePointer

    init(_ repo: Repo) throws(GitError) {
        var c: OpaquePointer?
        try check("read the configuration", repo.path, repo.withUnsafePointer { git_repository_config_snapshot(&c, $0) })
        pointer = c!
    }

    deinit { git_config_free(pointer) }

    /// A boolean setting: `default` where unset, nil where unreadable.
    func bool(_ name: String, default value: Bool) -> Bool? {
        var v: Int32 = 0
        let rc = git_config_get_bool(&v, pointer, name)
        if rc == GIT_ENOTFOUND.rawValue { return value }
        return rc == 0 ? v != 0 : nil
    }
}
