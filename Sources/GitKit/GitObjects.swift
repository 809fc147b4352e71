import CGit2

/// Owners of libgit2 objects: each frees its pointer in deinit, so no raw pointer outlives its owner.
final class Repo {
    let pointer: OpaquePointer
    let path: String

    init(_ pointer: OpaquePointer, path: String) {
        self.pointer = pointer
        self.path = path
    }

    deinit { git_repository_free(pointer) }

    static func open(_ path: String) throws(GitError) -> Repo {
        _ = GitLibrary.shared
        var p: OpaquePointer?
        try check("open", path, git_repository_open_ext(&p, path, UInt32(GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue), nil))
        return Repo(p!, path: path)
    }

    static func initialize(_ path: String) throws(GitError) -> Repo {
        _ = GitLibrary.shared
        var p: OpaquePointer?
        try check("init", path, git_repository_init(&p, path, 0))
        return Repo(p!, path: path)
    }

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
        var config: OpaquePointer?
        guard git_repository_config_snapshot(&config, pointer) == 0 else { return names.map { _ in nil } }
        defer { git_config_free(config) }
        return names.map { flag in
            var v: Int32 = 0
            let rc = git_config_get_bool(&v, config, flag.name)
            if rc == GIT_ENOTFOUND.rawValue { return flag.default }
            return rc == 0 ? v != 0 : nil
        }
    }

    func referenceID(_ name: String) -> git_oid? {
        var oid = git_oid()
        return git_reference_name_to_id(&oid, pointer, name) == 0 ? oid : nil
    }

    func commit(_ oid: git_oid) throws(GitError) -> Commit {
        var id = oid
        var c: OpaquePointer?
        try check("lookup commit", path, git_commit_lookup(&c, pointer, &id))
        return Commit(c!)
    }

    func tree(_ oid: git_oid) throws(GitError) -> Tree {
        var id = oid
        var t: OpaquePointer?
        try check("lookup tree", path, git_tree_lookup(&t, pointer, &id))
        return Tree(t!)
    }
}

final class Commit {
    let pointer: OpaquePointer
    init(_ p: OpaquePointer) { pointer = p }
    deinit { git_commit_free(pointer) }
    var treeID: git_oid { git_commit_tree_id(pointer).pointee }
}

final class Tree {
    let pointer: OpaquePointer
    init(_ p: OpaquePointer) { pointer = p }
    deinit { git_tree_free(pointer) }
}

final class Reference {
    let pointer: OpaquePointer
    init(_ p: OpaquePointer) { pointer = p }
    deinit { git_reference_free(pointer) }
}

final class Signature {
    let pointer: UnsafeMutablePointer<git_signature>
    init(name: String, email: String) throws(GitError) {
        var s: UnsafeMutablePointer<git_signature>?
        try check("make signature", name, git_signature_now(&s, name, email))
        pointer = s!
    }
    deinit { git_signature_free(pointer) }
}

final class Diff {
    let pointer: OpaquePointer
    init(_ p: OpaquePointer) { pointer = p }
    deinit { git_diff_free(pointer) }

    /// Unified diff text.
    func patch(path: String) throws(GitError) -> String {
        var buf = git_buf()
        defer { git_buf_dispose(&buf) }
        try check("format diff", path, git_diff_to_buf(&buf, pointer, GIT_DIFF_FORMAT_PATCH))
        guard let p = buf.ptr else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: buf.size), as: UTF8.self)
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
