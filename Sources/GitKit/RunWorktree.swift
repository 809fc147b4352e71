import CGit2
import Foundation

public struct GitSignature: Sendable, Equatable {
    public var name: String
    public var email: String
    public init(name: String, email: String) {
        self.name = name
        self.email = email
    }
}

public struct GitChangedFile: Sendable, Equatable {
    public enum Change: String, Sendable { case added, modified, deleted, renamed, typeChange = "type-change" }
    public var path: String
    public var change: Change
}

public struct GitCommitInfo: Sendable, Equatable {
    public var sha: String
    public var files: [GitChangedFile]
}

/// A run's own branch, checked out in a git worktree of its own, so concurrent runs on one repository never
/// share a working tree or an index. The base commit is kept in `refs/agent-runner/base/NAME`, so a worker
/// that takes the run over after a crash reopens the same worktree and diffs against the same base.
public final class RunWorktree {
    public let path: String
    public let branch: String
    public let baseCommit: String
    let name: String
    let repository: String
    let repo: Repo

    /// Opens the run's worktree, creating the repository (`git init`), the branch (at HEAD, or at an empty root
    /// commit when the repository has none) and the worktree as needed. The main checkout is never touched.
    public static func open(repository: String, worktreePath: String, branch: String, name: String) throws(GitError) -> RunWorktree {
        _ = GitLibrary.shared
        let main = try openOrInit(repository)
        let baseRef = "refs/agent-runner/base/\(name)"
        if FileManager.default.fileExists(atPath: worktreePath + "/.git"), let base = main.referenceID(baseRef) {
            return RunWorktree(path: worktreePath, branch: branch, base: base.hex, name: name, repository: repository,
                               repo: try Repo.open(worktreePath))
        }
        let base = try retryingLocks { () throws(GitError) -> git_oid in
            if let existing = main.referenceID(baseRef) { return existing }
            let start: git_oid
            if let head = try main.headCommit() { start = head } else { start = try emptyRootCommit(main) }
            var id = start
            var ref: OpaquePointer?
            try check("record the base", repository, git_reference_create(&ref, main.pointer, baseRef, &id, 0, "agent-runner: base of \(name)"))
            git_reference_free(ref)
            return start
        }
        try retryingLocks { () throws(GitError) in
            let branchRef = "refs/heads/\(branch)"
            var ref: OpaquePointer?
            if git_reference_lookup(&ref, main.pointer, branchRef) != 0 {
                let commit = try main.commit(base)
                try check("create branch \(branch)", repository, git_branch_create(&ref, main.pointer, branch, commit.pointer, 0))
            }
            let owned = Reference(ref!)
            var opts = git_worktree_add_options()
            git_worktree_add_options_init(&opts, UInt32(GIT_WORKTREE_ADD_OPTIONS_VERSION))
            opts.ref = owned.pointer
            // A half-made worktree from a crash is pruned first.
            var stale: OpaquePointer?
            if git_worktree_lookup(&stale, main.pointer, name) == 0 {
                var prune = git_worktree_prune_options()
                git_worktree_prune_options_init(&prune, UInt32(GIT_WORKTREE_PRUNE_OPTIONS_VERSION))
                prune.flags = GIT_WORKTREE_PRUNE_VALID.rawValue | GIT_WORKTREE_PRUNE_WORKING_TREE.rawValue
                _ = git_worktree_prune(stale, &prune)
                git_worktree_free(stale)
            }
            try? FileManager.default.createDirectory(atPath: (worktreePath as NSString).deletingLastPathComponent,
                                                     withIntermediateDirectories: true)
            // libgit2 creates .git/worktrees with a plain mkdir and fails if another run just made it.
            if let common = git_repository_commondir(main.pointer) {
                try? FileManager.default.createDirectory(atPath: String(cString: common) + "/worktrees", withIntermediateDirectories: true)
            }
            var wt: OpaquePointer?
            try check("add worktree", worktreePath, git_worktree_add(&wt, main.pointer, name, worktreePath, &opts))
            git_worktree_free(wt)
        }
        return RunWorktree(path: worktreePath, branch: branch, base: base.hex, name: name, repository: repository,
                           repo: try Repo.open(worktreePath))
    }

    /// Opens the repository, or creates it. Another run may be creating it at the same moment: `git init` on a
    /// repository that exists only reinitialises it, and a half-made one is retried.
    static func openOrInit(_ repository: String) throws(GitError) -> Repo {
        if let repo = try? Repo.open(repository) { return repo }
        do { try FileManager.default.createDirectory(atPath: repository, withIntermediateDirectories: true) } catch {
            throw GitError(operation: "create the workspace", path: repository, code: -1, message: "\(error)")
        }
        var last: GitError?
        for attempt in 0..<20 {
            do throws(GitError) { return try Repo.initialize(repository) } catch { last = error }
            if let repo = try? Repo.open(repository) { return repo }
            usleep(UInt32(5_000 * (attempt + 1)))
        }
        throw last!
    }

    init(path: String, branch: String, base: String, name: String, repository: String, repo: Repo) {
        self.path = path
        self.branch = branch
        self.baseCommit = base
        self.name = name
        self.repository = repository
        self.repo = repo
    }

    /// A commit with an empty tree and no parent, written to the object store only: the run's branch starts
    /// there when the repository has no commits, and no existing branch moves.
    static func emptyRootCommit(_ repo: Repo) throws(GitError) -> git_oid {
        var builder: OpaquePointer?
        try check("build an empty tree", repo.path, git_treebuilder_new(&builder, repo.pointer, nil))
        defer { git_treebuilder_free(builder) }
        var treeID = git_oid()
        try check("write an empty tree", repo.path, git_treebuilder_write(&treeID, builder))
        let tree = try repo.tree(treeID)
        let sig = try Signature(name: "Agent Runner", email: "agent-runner@localhost")
        var oid = git_oid()
        try check("create the root commit", repo.path, git_commit_create(&oid, repo.pointer, nil, sig.pointer, sig.pointer, nil,
                                                                          "Empty root for agent runs", tree.pointer, 0, nil))
        return oid
    }

    /// Stages everything (new, changed and deleted files; .gitignore applies) and commits on the run's branch.
    /// Returns nil when nothing changed.
    public func commitAll(message: String, author: GitSignature) throws(GitError) -> GitCommitInfo? {
        try Self.commitAll(repo, message: message, author: author)
    }

    static func commitAll(_ repo: Repo, message: String, author: GitSignature) throws(GitError) -> GitCommitInfo? {
        let path = repo.path
        var index: OpaquePointer?
        try check("open the index", path, git_repository_index(&index, repo.pointer))
        defer { git_index_free(index) }
        try stageChanges(repo, index)
        try check("write the index", path, git_index_write(index))
        var treeID = git_oid()
        try check("write the tree", path, git_index_write_tree(&treeID, index))
        let parent = try repo.headCommit().map { (id) throws(GitError) in try repo.commit(id) }
        var parentTree = parent?.treeID ?? git_oid()
        if parent != nil, git_oid_equal(&parentTree, &treeID) != 0 { return nil }
        let newTree = try repo.tree(treeID)
        let oldTree = try parent.map { (p) throws(GitError) in try repo.tree(p.treeID) }
        let sig = try Signature(name: author.name, email: author.email)
        var oid = git_oid()
        var parents: [OpaquePointer?] = parent.map { [$0.pointer] } ?? []
        try check("commit", path, git_commit_create(&oid, repo.pointer, "HEAD", sig.pointer, sig.pointer, nil, message,
                                                    newTree.pointer, parents.count, &parents))
        var diff: OpaquePointer?
        try check("diff", path, git_diff_tree_to_tree(&diff, repo.pointer, oldTree?.pointer, newTree.pointer, nil))
        return GitCommitInfo(sha: oid.hex, files: Diff(diff!).files)
    }

    /// Stages what differs between the index and the working tree, like `git add -A`: new and modified
    /// files are added, deleted ones removed, ignored ones left alone. `WorkdirScan` finds them with the
    /// lstat of tracked files on several threads; where it declines, libgit2's status scan (one thread)
    /// does. Both use the index's stat cache, so unchanged files are only stat'ed; `git_index_add_all("*")`
    /// instead ran every path of the tree through its pathspec and attribute checks (bench/README.md).
    static func stageChanges(_ repo: Repo, _ index: OpaquePointer?) throws(GitError) {
        let changes: WorkdirScan.Changes
        if let scanned = WorkdirScan.scan(repo, index) { changes = scanned } else { changes = try statusChanges(repo) }
        let path = repo.path
        for name in changes.deleted { try check("unstage \(name)", path, git_index_remove_bypath(index, name)) }
        var rest = changes.changed
        // Many files: their blobs are written on several threads. Not while the index holds conflicts:
        // `git_index_add_bypath` resolves them (as `git add -A` does), `git_index_add` would not.
        if git_index_has_conflicts(index) == 0, ParallelStaging.applies(repo, count: rest.count) {
            rest = try ParallelStaging.stage(repo, index, paths: rest.filter { !$0.hasSuffix("/") }) + rest.filter { $0.hasSuffix("/") }
        }
        for var name in rest {
            if name.hasSuffix("/") { name.removeLast() }  // a nested repository: like `git add -A`, a gitlink
            try check("stage \(name)", path, git_index_add_bypath(index, name))
        }
    }

    /// The changes as libgit2's status scan sees them. A conflicted path is staged as the working tree has it
    /// (a step's `git merge` or `stash pop` may leave one; otherwise the tree could not be written), or
    /// removed where the working tree has no file.
    static func statusChanges(_ repo: Repo) throws(GitError) -> WorkdirScan.Changes {
        let path = repo.path
        var opts = git_status_options()
        try check("status options", path, git_status_options_init(&opts, UInt32(GIT_STATUS_OPTIONS_VERSION)))
        opts.show = GIT_STATUS_SHOW_WORKDIR_ONLY
        opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
            | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue | GIT_STATUS_OPT_UPDATE_INDEX.rawValue
        var list: OpaquePointer?
        try check("read the status", path, git_status_list_new(&list, repo.pointer, &opts))
        defer { git_status_list_free(list) }
        let changed = GIT_STATUS_WT_NEW.rawValue | GIT_STATUS_WT_MODIFIED.rawValue | GIT_STATUS_WT_TYPECHANGE.rawValue
        var changes = WorkdirScan.Changes()
        for i in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, i)?.pointee, let delta = entry.index_to_workdir?.pointee else { continue }
            let status = entry.status.rawValue
            guard let file = delta.new_file.path ?? delta.old_file.path else { continue }
            let name = String(cString: file)
            let conflicted = status & GIT_STATUS_CONFLICTED.rawValue != 0
            if status & GIT_STATUS_WT_DELETED.rawValue != 0 || (conflicted && !Self.exists(repo, name)) {
                changes.deleted.append(name)
            } else if status & changed != 0 || conflicted {
                changes.changed.append(name)  // a nested repository shows up as "dir/"
            }
        }
        return changes
    }

    static func exists(_ repo: Repo, _ relative: String) -> Bool {
        guard let workdir = git_repository_workdir(repo.pointer) else { return false }
        var st = stat()
        return lstat(String(cString: workdir) + relative, &st) == 0
    }

    /// The unified diff from the base commit to the branch's head: everything the run changed.
    public func patch() throws(GitError) -> String {
        guard let base = git_oid.parse(baseCommit), let head = try repo.headCommit() else { return "" }
        let baseTree = try repo.tree(try repo.commit(base).treeID)
        let headTree = try repo.tree(try repo.commit(head).treeID)
        var diff: OpaquePointer?
        try check("diff", path, git_diff_tree_to_tree(&diff, repo.pointer, baseTree.pointer, headTree.pointer, nil))
        return try Diff(diff!).patch(path: path)
    }

    /// The branch's head commit.
    public var head: String? { (try? repo.headCommit())?.hex }

    /// Deletes the worktree's folder and git's record of it; the branch and its commits stay.
    public func remove() throws(GitError) {
        let main = try Repo.open(repository)
        try retryingLocks { () throws(GitError) in
            var wt: OpaquePointer?
            try check("find worktree", path, git_worktree_lookup(&wt, main.pointer, name))
            defer { git_worktree_free(wt) }
            var prune = git_worktree_prune_options()
            git_worktree_prune_options_init(&prune, UInt32(GIT_WORKTREE_PRUNE_OPTIONS_VERSION))
            prune.flags = GIT_WORKTREE_PRUNE_VALID.rawValue | GIT_WORKTREE_PRUNE_WORKING_TREE.rawValue
            try check("prune worktree", path, git_worktree_prune(wt, &prune))
        }
        var ref: OpaquePointer?
        if git_reference_lookup(&ref, main.pointer, "refs/agent-runner/base/\(name)") == 0 {
            // The base stays findable from the branch's history; the helper ref is only for reopening.
            _ = git_reference_delete(ref)
            git_reference_free(ref)
        }
    }
}
