import CGit2
import Foundation

/// Staging many new or modified files at once (an agent that generated a tree, a first commit): the blobs
/// are hashed, compressed and written by several threads, each with a repository handle of its own (libgit2
/// objects are not shared between threads), and the index entries are then added in one pass. This is what
/// `git_index_add_bypath` does for one path (blob from the working tree through the same filters, entry from
/// `lstat`), so the tree comes out the same; `GitStagingTests` compares it with the git CLI's.
enum ParallelStaging {
    /// Below this many files one thread is as fast: opening the extra handles costs more than it saves.
    static let threshold = 256

    /// Whether `paths` may take the parallel path: enough of them, more than one core, a libgit2 built with
    /// threads, and a repository whose file modes are trusted (`core.filemode`, true wherever git init ran on
    /// Linux): otherwise an entry's mode would depend on the entry it replaces, which only libgit2 knows.
    static func applies(_ repo: Repo, count: Int) -> Bool {
        guard count >= threshold, ProcessInfo.processInfo.activeProcessorCount > 1,
              git_libgit2_features() & Int32(GIT_FEATURE_THREADS.rawValue) != 0 else { return false }
        return repo.flags([("core.filemode", true)]) == [true]
    }

    /// One file's blob id and the `lstat` taken before its content was read.
    struct Staged {
        var path: String
        var id: git_oid
        var st: stat
    }

    /// Writes the blobs of `paths` (regular files, relative to the working tree) on several threads, then
    /// adds their entries to `index`. Paths that are not regular files any more are returned for the caller
    /// to stage one by one.
    static func stage(_ repo: Repo, _ index: Index, paths: [String]) throws(GitError) -> [String] {
        guard let workdir = repo.workdir else { return paths }
        let repoPath = repo.path
        let threads = min(ProcessInfo.processInfo.activeProcessorCount, 8)
        let results = Results(count: threads)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var staged: [Staged] = []
            var others: [String] = []
            do throws(GitError) {
                let handle = try Repo(opening: repoPath)
                for i in stride(from: t, to: paths.count, by: threads) {
                    let path = paths[i]
                    var st = stat()
                    guard lstat(workdir + path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
                        others.append(path)
                        continue
                    }
                    staged.append(Staged(path: path, id: try handle.writeBlob(fromWorkdir: path), st: st))
                }
                results.set(t, .success((staged, others)))
            } catch {
                results.set(t, .failure(error))
            }
        }
        var others: [String] = []
        for result in results.all {
            let (staged, rest) = try result.get()
            others += rest
            for file in staged { try add(file, index) }
        }
        return others
    }

    /// The entry `git_index_add_bypath` would make (libgit2's `git_index_entry__init_from_stat`).
    static func add(_ file: Staged, _ index: Index) throws(GitError) {
        let st = file.st
        var entry = git_index_entry()
        entry.ctime = git_index_time(seconds: Int32(truncatingIfNeeded: st.st_ctim.tv_sec), nanoseconds: UInt32(st.st_ctim.tv_nsec))
        entry.mtime = git_index_time(seconds: Int32(truncatingIfNeeded: st.st_mtim.tv_sec), nanoseconds: UInt32(st.st_mtim.tv_nsec))
        entry.dev = UInt32(truncatingIfNeeded: st.st_rdev)  // sic: libgit2 records st_rdev here
        entry.ino = UInt32(truncatingIfNeeded: st.st_ino)
        entry.mode = st.st_mode & 0o100 != 0 ? 0o100755 : 0o100644
        entry.uid = st.st_uid
        entry.gid = st.st_gid
        entry.file_size = UInt32(truncatingIfNeeded: st.st_size)
        entry.id = file.id
        try index.add(entry, name: file.path)
    }

    /// Each thread's outcome, written once per slot.
    final class Results: @unchecked Sendable {
        private var slots: [Result<([Staged], [String]), GitError>?]
        private let lock = NSLock()
        init(count: Int) { slots = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ r: Result<([Staged], [String]), GitError>) { lock.withLock { slots[i] = r } }
        var all: [Result<([Staged], [String]), GitError>] { lock.withLock { slots.compactMap { $0 } } }
    }
}
