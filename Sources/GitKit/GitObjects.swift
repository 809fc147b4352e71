import CGit2

// Owners of libgit2 objects, one Swift type per kind. Each is made by a throwing initializer that reports
// failures through `check` (libgit2's `git_error_last`) and frees its object in deinit. The raw pointer is
// private: other types reach it only inside `withUnsafePointer`, a method call that keeps its owner alive
// until the body returns, so no pointer outlives the object it points into.

/// A `git_repository`. libgit2 objects are not shared between threads: a thread that writes opens its own.
final class Repo {
    private let pointer: OpaquePointer
    let path: String

    /// Opens the repository at `path` itself (no search upwards).
    init(opening path: String) throws(GitError) {
        _ = GitLibrary.shared
        var p: OpaquePointer?
        try check("open", path, git_repository_open_ext(&p, path, UInt32(GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue), nil))
        pointer = p!
        self.path = path
    }

    /// `git init`: creates the repository, or only reinitialises one that exists.
    init(creating path: String) throws(GitError) {
        _ = GitLibrary.shared
        var p: OpaquePointer?
        try check("init", path, git_repository_init(&p, path, 0))
        pointer = p!
        self.path = path
    }

    deinit { git_repository_free(pointer) }

    func withUnsafePointer<R, E: Error>(_ body: (OpaquePointer) throws(E) -> R) throws(E) -> R { try body(pointer) }

    /// HEAD's commit id, or nil for an unborn branch (a repository without commits).
    func headCommit() throws(GitError) -> git_oid? {
        var oid = git_oid()
        let rc = git_reference_name_to_id(&oid, pointer, "HEAD")
        if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EUNBORNBRANCH.rawValue { return nil }
        try check("resolve HEAD", path, rc)
        return oid
    }

    /// Boolean config flags as they are now: `default` where unset, nil where unreadable.
    func flags(_ names: [(name: String, default: Bool)]) -> [Bool?] {
        guard let config = try? ConfigSnapshot(self) else { return names.map { _ in nil } }
        return names.map { config.bool($0.name, default: $0.default) }
    }

    func referenceID(_ name: String) -> git_oid? {
        var oid = git_oid()
        return git_reference_name_to_id(&oid, pointer, name) == 0 ? oid : nil
    }

    /// The working tree's folder, ending in "/"; nil for a bare repository.
    var workdir: String? { git_repository_workdir(pointer).map { String(cString: $0) } }

    /// The folder shared by the main checkout and its worktrees (the main `.git`).
    var commonDir: String? { git_repository_commondir(pointer).map { String(cString: $0) } }

    /// Whether git's ignore rules (.gitignore files, info/exclude, core.excludesFile) exclude `relative`.
    func isIgnored(_ relative: String) -> Bool {
        var v: Int32 = 0
        return git_ignore_path_is_ignored(&v, pointer, relative) == 0 && v != 0
    }

    /// Writes the blob of a working-tree file (relative path) through the repository's filters.
    func writeBlob(fromWorkdir relative: String) throws(GitError) -> git_oid {
        var id = git_oid()
        try check("write the blob of \(relative)", path, git_blob_create_from_workdir(&id, pointer, relative))
        return id
    }

    /// Writes a commit of `tree` on top of `parents`, moving `ref` (such as "HEAD") to it when given.
    func createCommit(updating ref: String?, author: Signature, message: String, tree: Tree, parents: [Commit],
                      operation: String = "commit") throws(GitError) -> git_oid {
        var oid = git_oid()
        // `parents` keeps every commit alive for this call, so their pointers stay valid in the array.
        var raw: [OpaquePointer?] = parents.map { $0.withUnsafePointer { $0 } }
        let rc = author.withUnsafePointer { sig in
            tree.withUnsafePointer { t in
                git_commit_create(&oid, pointer, ref, sig, sig, nil, message, t, raw.count, &raw)
            }
        }
        try check(operation, path, rc)
        return oid
    }
}

/// Runs one of libgit2's `git_*_lookup(&out, repo, id)` functions; the caller's owner class frees the result.
private func lookup(_ operation: String, _ repo: Repo, _ id: git_oid,
                    _ function: (UnsafeMutablePointer<OpaquePointer?>?, OpaquePointer?, UnsafePointer<git_oid>?) -> Int32)
    throws(GitError) -> OpaquePointer {
    var id = id
    var out: OpaquePointer?
    try check(operation, repo.path, repo.withUnsafePointer { function(&out, $0, &id) })
    return out!
}

/// A `git_commit`.
final class Commit {
    private let pointer: OpaquePointer

    init(_ repo: Repo, id: git_oid) throws(GitError) {
        pointer = try lookup("lookup commit", repo, id, git_commit_lookup)
    }

    deinit { git_commit_free(pointer) }

    func withUnsafePointer<R, E: Error>(_ body: (OpaquePointer) throws(E) -> R) throws(E) -> R { try body(pointer) }

    var treeID: git_oid { git_commit_tree_id(pointer).pointee }
}

/// A `git_tree`.
final class Tree {
    private let pointer: OpaquePointer

    init(_ repo: Repo, id: git_oid) throws(GitError) {
        pointer = try lookup("lookup tree", repo, id, git_tree_lookup)
    }

    deinit { git_tree_free(pointer) }

    func withUnsafePointer<R, E: Error>(_ body: (OpaquePointer) throws(E) -> R) throws(E) -> R { try body(pointer) }
}

/// A `git_treebuilder`, for trees made from nothing (the empty root).
final class TreeBuilder {
    private let pointer: OpaquePointer
    private let path: String

    init(_ repo: Repo) throws(GitError) {
        var b: OpaquePointer?
        try check("build an empty tree", repo.path, repo.withUnsafePointer { git_treebuilder_new(&b, $0, nil) })
        pointer = b!
        path = repo.path
    }

    deinit { git_treebuilder_free(pointer) }

    func write() throws(GitError) -> git_oid {
        var id = git_oid()
        try check("write an empty tree", path, git_treebuilder_write(&id, pointer))
        return id
    }
}

/// A `git_signature` stamped with the current time.
final class Signature {
    private let pointer: UnsafeMutablePointer<git_signature>

    init(name: String, email: String) throws(GitError) {
        var s: UnsafeMutablePointer<git_signature>?
        try check("make signature", name, git_signature_now(&s, name, email))
        pointer = s!
    }

    deinit { git_signature_free(pointer) }

    func withUnsafePointer<R, E: Error>(_ body: (UnsafePointer<git_signature>) throws(E) -> R) throws(E) -> R {
        try body(pointer)
    }
}

/// A `git_buf` that libgit2 fills; its memory is libgit2's until `git_buf_dispose`.
final class GitBuffer {
    private var buffer = git_buf()

    init() {}

    deinit { git_buf_dispose(&buffer) }

    func withUnsafeMutablePointer<R, E: Error>(_ body: (UnsafeMutablePointer<git_buf>) throws(E) -> R) throws(E) -> R {
        try body(&buffer)
    }

    /// The contents, decoded as UTF-8.
    var string: String {
        guard let p = buffer.ptr else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: buffer.size), as: UTF8.self)
    }
}

/// A `git_diff` between two trees.
final class Diff {
    private let pointer: OpaquePointer
    private let path: String

    /// The diff from `old` (nil: the empty tree) to `new`.
    init(_ repo: Repo, from old: Tree?, to new: Tree) throws(GitError) {
        var d: OpaquePointer?
        let rc = repo.withUnsafePointer { r in
            new.withUnsafePointer { n in
                if let old { return old.withUnsafePointer { git_diff_tree_to_tree(&d, r, $0, n, nil) } }
                return git_diff_tree_to_tree(&d, r, nil, n, nil)
            }
        }
        try check("diff", repo.path, rc)
        pointer = d!
        path = repo.path
    }

    deinit { git_diff_free(pointer) }

    /// Unified diff text.
    func patch() throws(GitError) -> String {
        let buf = GitBuffer()
        try check("format diff", path, buf.withUnsafeMutablePointer { git_diff_to_buf($0, pointer, GIT_DIFF_FORMAT_PATCH) })
        return buf.string
    }

    var files: [GitChangedFile] {
        (0..<git_diff_num_deltas(pointer)).compactMap { i in
            guard let d = git_diff_get_delta(pointer, i)?.pointee else { return nil }
            let file = d.status == GIT_DELTA_DELETED ? d.old_file : d.new_file
            guard let p = file.path else { return nil }
            let change: GitChangedFile.Change
            switch d.status {
            case GIT_DELTA_ADDED, GIT_DELTA_UNTRACKED: change = .added
            case GIT_DELTA_DELETED: change = .deleted
            case GIT_DELTA_RENAMED: change = .renamed
            case GIT_DELTA_TYPECHANGE: change = .typeChange
            default: change = .modified
            }
            return GitChangedFile(path: String(cString: p), change: change)
        }
    }
}

extension git_oid {
    var hex: String {
        var copy = self
        var buf = [CChar](repeating: 0, count: 41)
        git_oid_tostr(&buf, 41, &copy)
        return String(cString: buf)
    }

    static func parse(_ hex: String) -> git_oid? {
        var oid = git_oid()
        return git_oid_fromstr(&oid, hex) == 0 ? oid : nil
    }
}
