import CGit2

/// A repository's `git_index` (the staging area), freed in deinit. Errors name the repository's path.
final class Index {
    private let pointer: OpaquePointer
    let path: String

    init(_ repo: Repo) throws(GitError) {
        var i: OpaquePointer?
        try check("open the index", repo.path, repo.withUnsafePointer { git_repository_index(&i, $0) })
        pointer = i!
        path = repo.path
    }

    deinit { git_index_free(pointer) }

    /// Writes the index back to its file.
    func write() throws(GitError) {
        try check("write the index", path, git_index_write(pointer))
    }

    /// Writes the tree the index describes and returns its id.
    func writeTree() throws(GitError) -> git_oid {
        var id = git_oid()
        try check("write the tree", path, git_index_write_tree(&id, pointer))
        return id
    }

    var hasConflicts: Bool { git_index_has_conflicts(pointer) != 0 }

    var entryCount: Int { git_index_entrycount(pointer) }

    /// The index file's own path.
    var filePath: String? { git_index_path(pointer).map { String(cString: $0) } }

    /// Calls `body` with each entry in order until it returns false; returns whether every entry was seen.
    /// An entry's `path` points into the index and is valid only inside `body`.
    func forEachEntry(_ body: (git_index_entry) -> Bool) -> Bool {
        for i in 0..<git_index_entrycount(pointer) {
            guard let e = git_index_get_byindex(pointer, i), body(e.pointee) else { return false }
        }
        return true
    }

    /// `git add PATH` for one path: the blob from the working tree, the entry from `lstat`.
    func add(path name: String) throws(GitError) {
        try check("stage \(name)", path, git_index_add_bypath(pointer, name))
    }

    /// Adds `entry` (whose blob is already written) under `name`.
    func add(_ entry: git_index_entry, name: String) throws(GitError) {
        var entry = entry
        let rc = name.withCString { p in
            entry.path = p
            return git_index_add(pointer, &entry)
        }
        try check("stage \(name)", path, rc)
    }

    /// `git rm --cached PATH`.
    func remove(path name: String) throws(GitError) {
        try check("unstage \(name)", path, git_index_remove_bypath(pointer, name))
    }
}

/// A `git_status_list`: what libgit2's status scan found, freed in deinit.
final class StatusList {
    private let pointer: OpaquePointer

    /// Scans `repo` with `options` (which may update the index's stat cache).
    init(_ repo: Repo, options: git_status_options) throws(GitError) {
        var options = options
        var l: OpaquePointer?
        try check("read the status", repo.path, repo.withUnsafePointer { git_status_list_new(&l, $0, &options) })
        pointer = l!
    }

    deinit { git_status_list_free(pointer) }

    /// Calls `body` with the status flags and path of each entry that has an index-to-workdir side.
    func forEachWorkdirEntry(_ body: (_ status: UInt32, _ path: String) -> Void) {
        for i in 0..<git_status_list_entrycount(pointer) {
            guard let entry = git_status_byindex(pointer, i)?.pointee, let delta = entry.index_to_workdir?.pointee,
                  let file = delta.new_file.path ?? delta.old_file.path else { continue }
            body(entry.status.rawValue, String(cString: file))
        }
    }
}
