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
                               repo: try Repo(opening: worktreePath))
        }
        let base = try retryingLocks { () throws(GitError) -> git_oid in
            if let existing = main.referenceID(baseRef) { return existing }
            let start: git_oid
            if let head = try main.headCommit() { start = head } else { start = try emptyRootCommit(main) }
            _ = try Reference(creating: baseRef, id: start, logMessage: "agent-runner: base of \(name)", in: main,
                              operation: "record the base")
            return start
        }
        try retryingLocks { () throws(GitError) in
            let ref: Reference
            if let existing = try? Reference(lookup: "refs/heads/\(branch)", in: main) { ref = existing } else {
                ref = try Reference(branch: branch, at: try Commit(main, id: base), in: main)
            }
            // A half-made worktree from a crash is pruned first.
            if let stale = try? Worktree(lookup: name, in: main, path: worktreePath) { try? stale.prune() }
            try? FileManager.default.createDirectory(atPath: (worktreePath as NSString).deletingLastPathComponent,
                                                     withIntermediateDirectories: true)
            // libgit2 creates .git/worktrees with a plain mkdir and fails if another run just made it.
            if let common = main.commonDir {
                try? FileManager.default.createDirectory(atPath: common + "/worktrees", withIntermediateDirectories: true)
            }
            _ = try Worktree(adding: name, at: worktreePath, branch: ref, in: main)
        }
        return RunWorktree(path: worktreePath, branch: branch, base: base.hex, name: name, repository: repository,
                           repo: try Repo(opening: worktreePath))
    }

    /// Opens the repository, or creates it. Another run may be creating it at the same moment: `git init` on a
    /// repository that exists only reinitialises it, and a half-made one is retried.
    static func openOrInit(_ repository: String) throws(GitError) -> Repo {
        if let repo = try? Repo(opening: repository) { return repo }
        do { try FileManager.default.createDirectory(atPath: repository, withIntermediateDirectories: true) } catch {
            throw GitError(operation: "create the workspace", path: repository, code: -1, message: "\(error)")
        }
        var last: GitError?
        for attempt in 0..<20 {
            do throws(GitError) { return try Repo(creating: repository) } catch { last = error }
            if let repo = try? Repo(opening: repository) { return repo }
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
        let tree = try Tree(repo, id: try TreeBuilder(repo).write())
        let sig = try Signature(name: "Agent Runner", email: "agent-runner@localhost")
        return try repo.createCommit(updating: nil, author: sig, message: "Empty root for agent runs", tree: tree, parents: [],
                                     operation: "create the root commit")
    }

    /// Stages everything (new, changed and deleted files; .gitignore applies) and commits on the run's branch.
    /// Returns nil when nothing changed.
    public func commitAll(message: String, author: GitSignature) throws(GitError) -> GitCommitInfo? {
        try Self.commitAll(repo, message: message, author: author)
    }

    static func commitAll(_ repo: Repo, message: String, author: GitSignature) throws(GitError) -> GitCommitInfo? {
        let index = try Index(repo)
        try stageChanges(repo, index)
        try index.write()
        var treeID = try index.writeTree()
        let parent = try repo.headCommit().map { (id) throws(GitError) in try Commit(repo, id: id) }
        var parentTree = parent?.treeID ?? git_oid()
        if parent != nil, git_oid_equal(&parentTree, &treeID) != 0 { return nil }
        let newTree = try Tree(repo, id: treeID)
        let oldTree = try parent.map { (p) throws(GitError) in try Tree(repo, id: p.treeID) }
        let sig = try Signature(name: author.name, email: author.email)
        let oid = try repo.createCommit(updating: "HEAD", author: sig, message: message, tree: newTree,
                                        parents: parent.map { [$0] } ?? [])
        return GitCommitInfo(sha: oid.hex, files: try Diff(repo, from: oldTree, to: newTree).files)
    }

    /// Stages what differs between the index and the working tree, like `git add -A`: new and modified
    /// files are added, deleted ones removed, ignored ones left alone. `WorkdirScan` finds them with the
    /// lstat of tracked files on several threads; where it declines, libgit2's status scan (one thread)
    /// does. Both use the index's stat cache, so unchanged files are only stat'ed; `git_index_add_all("*")`
    /// instead ran every path of the tree through its pathspec and attribute checks (bench/README.md).
    static func stageChanges(_ repo: Repo, _ index: Index) throws(GitError) {
        let changes: WorkdirScan.Changes
        if let scanned = WorkdirScan.scan(repo, index) { changes = scanned } else { changes = try statusChanges(repo) }
        for name in changes.deleted { try index.remove(path: name) }
        var rest = changes.changed
        // Many files: their blobs are written on several threads. Not while the index holds conflicts:
        // `git_index_add_bypath` resolves them (as `git add -A` does), `git_index_add` would not.
        if !index.hasConflicts, ParallelStaging.applies(repo, count: rest.count) {
            rest = try ParallelStaging.stage(repo, index, paths: rest.filter { !$0.hasSuffix("/") }) + rest.filter { $0.hasSuffix("/") }
        }
        for var name in rest {
            if name.hasSuffix("/") { name.removeLast() }  // a nested repository: like `git add -A`, a gitlink
            try index.add(path: name)
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
        let list = try StatusList(repo, options: opts)
        let changed = GIT_STATUS_WT_NEW.rawValue | GIT_STATUS_WT_MODIFIED.rawValue | GIT_STATUS_WT_TYPECHANGE.rawValue
        var changes = WorkdirScan.Changes()
        list.forEachWorkdirEntry { status, name in
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
        guard let workdir = repo.workdir else { return false }
        var st = stat()
        return lstat(workdir + relative, &st) == 0
    }

    /// The unified diff from the base commit to the branch's head: everything the run changed.
    public func patch() throws(GitError) -> String {
        guard let base = git_oid.parse(baseCommit), let head = try repo.headCommit() else { return "" }
        let baseTree = try Tree(repo, id: try Commit(repo, id: base).treeID)
        let headTree = try Tree(repo, id: try Commit(repo, id: head).treeID)
        return try Diff(repo, from: baseTree, to: headTree).patch()
    }

    /// The branch's head commit.
    public var head: String? { (try? repo.headCommit())?.hex }

    /// Deletes the worktree's folder and git's record of it; the branch and its commits stay.
    public func remove() throws(GitError) {
        let main = try Repo(opening: repository)
        try retryingLocks { () throws(GitError) in try Worktree(lookup: name, in: main, path: path).prune() }
        // The base stays findable from the branch's history; the helper ref is only for reopening.
        if let base = try? Reference(lookup: "refs/agent-runner/base/\(name)", in: main) { try? base.delete() }
    }
}
