import CGit2
import Foundation

/// What changed in a working tree against its index, found the way `git add -A` finds it, but with the
/// `lstat` of every tracked file spread over several threads (git does the same with `core.preloadIndex`;
/// libgit2's status scan does it on one thread, and on a 10,000-file tree those calls are most of a commit).
///
/// It may report a path that did not change (a file touched but not edited, or one written in the same
/// instant as the index, "racily clean"): staging it again costs a hash and changes nothing. It must never
/// miss one, so wherever its rules would be a guess it declines (returns nil) and the caller falls back to
/// libgit2's status: conflicts in the index, `core.filemode`, `core.symlinks` or `core.ignorecase` not at
/// their Linux defaults, sparse or intent-to-add entries, names that are not UTF-8. It also leaves small
/// indexes (under `minimumEntries`) to libgit2.
enum WorkdirScan {
    struct Changes {
        /// New, modified or type-changed paths, relative; a nested repository as "dir/".
        var changed: [String] = []
        /// Tracked paths that are gone (or became a folder, whose files are then in `changed`).
        var deleted: [String] = []
    }

    /// A tracked entry's path and the stat data the index recorded for it.
    struct Tracked {
        var path: String
        var mode: UInt32
        var mtime: git_index_time
        var ctime: git_index_time
        var ino: UInt32
        var size: UInt32
    }

    /// Below this many tracked files one thread is as fast, and libgit2's scan, which reads ignore rules
    /// once per folder rather than once per untracked file, is faster on a first commit.
    static let minimumEntries = 2048

    static func scan(_ repo: Repo, _ index: Index) -> Changes? {
        guard index.entryCount >= minimumEntries, let workdir = repo.workdir, !index.hasConflicts, defaults(repo) else { return nil }
        // Entries written at or after the index file's own mtime may have changed since without a visible
        // stat difference: they are always re-staged.
        var indexStat = stat()
        guard let indexPath = index.filePath, lstat(indexPath, &indexStat) == 0 || errno == ENOENT else { return nil }
        let racyFrom = (Int64(indexStat.st_mtim.tv_sec), Int64(indexStat.st_mtim.tv_nsec))

        var tracked: [Tracked] = []
        var trackedPaths = Set<String>()
        var gitlinks = Set<String>()
        var trackedDirs = Set<String>([""])
        tracked.reserveCapacity(index.entryCount)
        let complete = index.forEachEntry { e in
            guard let p = e.path else { return false }
            // Skip-worktree and intent-to-add entries follow rules of their own.
            if e.flags_extended & UInt16(GIT_INDEX_ENTRY_SKIP_WORKTREE.rawValue | GIT_INDEX_ENTRY_INTENT_TO_ADD.rawValue) != 0 { return false }
            guard let path = String(validatingCString: p) else { return false }  // names that are not UTF-8: libgit2's scan
            trackedPaths.insert(path)
            var dir = Substring(path)
            while let slash = dir.lastIndex(of: "/") {
                dir = dir[..<slash]
                if !trackedDirs.insert(String(dir)).inserted { break }
            }
            guard e.mode != 0o160000 else {  // nested repositories are compared by libgit2 only when added
                gitlinks.insert(path)
                return true
            }
            tracked.append(Tracked(path: path, mode: e.mode, mtime: e.mtime, ctime: e.ctime, ino: e.ino, size: e.file_size))
            return true
        }
        guard complete else { return nil }

        var changes = Changes()
        // 1. Tracked files: lstat on several threads.
        let threads = min(ProcessInfo.processInfo.activeProcessorCount, 8)
        let verdicts = Verdicts(count: tracked.count)
        let entries = tracked
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for i in stride(from: t, to: entries.count, by: threads) {
                verdicts.set(i, verdict(entries[i], workdir: workdir, racyFrom: racyFrom))
            }
        }
        verdicts.forEach { i, v in
            switch v {
            case .same: break
            case .changed: changes.changed.append(tracked[i].path)
            case .gone: changes.deleted.append(tracked[i].path)
            }
        }
        // 2. Untracked files: a walk of the folders (no stat where the file type is in the folder entry),
        //    with git's ignore rules (.gitignore files, info/exclude, core.excludesFile) asked of libgit2.
        guard walk("", workdir: workdir, repo: repo, trackedPaths: trackedPaths, trackedDirs: trackedDirs, gitlinks: gitlinks,
                   into: &changes) else { return nil }
        return changes
    }

    /// Whether the repository's configuration is what this scan's rules assume.
    static func defaults(_ repo: Repo) -> Bool {
        repo.flags([("core.filemode", true), ("core.symlinks", true), ("core.ignorecase", false), ("core.sparsecheckout", false)])
            == [true, true, false, false]
    }

    enum Verdict { case same, changed, gone }

    static func verdict(_ e: Tracked, workdir: String, racyFrom: (Int64, Int64)) -> Verdict {
        var st = stat()
        guard lstat(workdir + e.path, &st) == 0 else { return .gone }
        let type = st.st_mode & S_IFMT
        switch e.mode & 0o170000 {
        case 0o100000:
            guard type == S_IFREG else { return type == S_IFDIR ? .gone : .changed }
            if (st.st_mode & 0o100 != 0) != (e.mode == 0o100755) { return .changed }
        case 0o120000:
            guard type == S_IFLNK else { return type == S_IFDIR ? .gone : .changed }
        default:
            return .changed
        }
        let mtime = (Int64(st.st_mtim.tv_sec), Int64(st.st_mtim.tv_nsec))
        if UInt32(truncatingIfNeeded: st.st_size) != e.size || UInt32(truncatingIfNeeded: st.st_ino) != e.ino
            || Int32(truncatingIfNeeded: st.st_mtim.tv_sec) != e.mtime.seconds || UInt32(st.st_mtim.tv_nsec) != e.mtime.nanoseconds
            || Int32(truncatingIfNeeded: st.st_ctim.tv_sec) != e.ctime.seconds || UInt32(st.st_ctim.tv_nsec) != e.ctime.nanoseconds
            || mtime >= racyFrom {
            return .changed
        }
        return .same
    }

    /// Collects untracked, not ignored files under `relative` (a folder path ending in "/", or "" for the top).
    static func walk(_ relative: String, workdir: String, repo: Repo, trackedPaths: Set<String>, trackedDirs: Set<String>,
                     gitlinks: Set<String>, into changes: inout Changes) -> Bool {
        guard let dir = opendir(workdir + relative) else { return errno == ENOENT || errno == ENOTDIR }
        defer { closedir(dir) }
        var names: [(String, UInt8)] = []
        // A record in readdir's buffer is only as long as its name (d_reclen), not the 256 bytes `d_name` is
        // declared with: copying that field read past the end of the buffer at its last record (ASan found it).
        // The name is read where it lies, up to its NUL.
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        while let e = readdir(dir) {
            let decoded = String(validatingCString: UnsafeRawPointer(e).advanced(by: nameOffset).assumingMemoryBound(to: CChar.self))
            guard let name = decoded else { return false }  // not UTF-8: libgit2's scan keeps the bytes
            if name == "." || name == ".." || name == ".git" { continue }
            names.append((name, e.pointee.d_type))
        }
        for (name, dtype) in names {
            let path = relative + name
            var isDir = dtype == UInt8(DT_DIR)
            if dtype == UInt8(DT_UNKNOWN) {
                var st = stat()
                guard lstat(workdir + path, &st) == 0 else { continue }
                isDir = st.st_mode & S_IFMT == S_IFDIR
            }
            // A tracked folder replaced by a symlink: lstat would look through it at the files behind it,
            // where git sees the folder's files deleted. libgit2's scan decides that one.
            if dtype == UInt8(DT_LNK) && trackedDirs.contains(path) { return false }
            if isDir {
                if gitlinks.contains(path) { continue }  // a tracked nested repository
                let tracked = trackedDirs.contains(path)
                if !tracked && repo.isIgnored(path + "/") { continue }
                var git = stat()
                if !tracked && lstat(workdir + path + "/.git", &git) == 0 {
                    changes.changed.append(path + "/")  // an untracked nested repository: a gitlink
                    continue
                }
                guard walk(path + "/", workdir: workdir, repo: repo, trackedPaths: trackedPaths, trackedDirs: trackedDirs,
                           gitlinks: gitlinks, into: &changes) else { return false }
            } else if !trackedPaths.contains(path) && !repo.isIgnored(path) {
                changes.changed.append(path)
            }
        }
        return true
    }

    /// Each tracked entry's verdict, one slot per entry. `@unchecked Sendable` because threads write
    /// disjoint slots and the reader runs only after `concurrentPerform` has returned. The buffer never
    /// leaves this type: every access happens inside a method of `self`, so none can outlive `deinit`.
    final class Verdicts: @unchecked Sendable {
        private let slots: UnsafeMutableBufferPointer<Verdict>
        init(count: Int) {
            slots = .allocate(capacity: count)
            slots.initialize(repeating: .same)
        }
        deinit { slots.deallocate() }
        func set(_ i: Int, _ v: Verdict) { slots[i] = v }
        /// Calls `body` with each slot's index and verdict, in order; a method call keeps `self` alive
        /// until it returns, which a returned buffer could not (the caller's last use of `self` was the getter).
        func forEach(_ body: (Int, Verdict) -> Void) {
            for (i, v) in slots.enumerated() { body(i, v) }
        }
    }
}
