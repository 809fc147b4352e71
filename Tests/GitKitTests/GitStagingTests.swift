import Foundation
import GitKit
import Testing
import TestSupport

/// What a libgit2 commit (`GitWorkspace.commitAll`, in this process) stages must match `git add -A`: read back
/// with the git CLI.
@Suite("Git staging", .ownThread)
struct GitStagingTests {
    func sh(_ dir: String, _ command: String) throws -> String {
        try TestSpool.shell("cd '\(dir)' && export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t; \(command)")
    }

    /// Commits everything in `dir` with libgit2, as `agent-runner git-commit` does.
    @discardableResult
    func commit(_ dir: String) throws -> GitCommitInfo? {
        try GitWorkspace(path: dir).commitAll(message: "commit", author: GitSignature(name: "Agent Runner", email: "agent-runner@localhost"))
    }

    /// Commits `base/w` with libgit2 and expects the tree `git add -A && git write-tree` makes of a copy
    /// taken just before, and a clean status after.
    func commitMatchesGitCLI(base: String, _ note: Comment) throws {
        let dir = base + "/w"
        _ = try sh(base, "rm -rf cli && cp -a w cli")
        let expected = try sh(base + "/cli", "git add -A && git write-tree")
        try commit(dir)
        #expect(try sh(dir, "git rev-parse 'HEAD^{tree}'") == expected, note)
        #expect(try sh(dir, "git status --porcelain") == "", note)
    }

    @Test func stagesLikeGitAddAll() throws {
        let dir = NSTemporaryDirectory() + "ar-stage-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try sh(dir, "git init -q -b main && echo keep > keep && echo gone > gone && echo '*.log' > .gitignore && echo x > ignored.log")
        try commit(dir)
        #expect(try sh(dir, "git ls-files") == ".gitignore\ngone\nkeep\n")

        // Deleted, modified, new in a new folder, a type change, and a nested repository (a gitlink, as git records it).
        _ = try sh(dir, "rm gone && echo more >> keep && mkdir -p a/b && echo n > a/b/new && ln -s keep link && "
                     + "mkdir sub && cd sub && git init -q && echo s > s && git add s && git commit -qm s")
        try commit(dir)
        #expect(try sh(dir, "git status --porcelain") == "")
        let staged = try sh(dir, "git ls-files -s | awk '{print $1, $4}'")
        #expect(staged.contains("100644 a/b/new") && staged.contains("120000 link") && staged.contains("160000 sub"))
        #expect(!staged.contains("gone") && !staged.contains("ignored.log"))

        // A conflict left by a step's `git merge` is staged (resolved) rather than blocking the commit.
        _ = try sh(dir, "git checkout -qb other && echo theirs > keep && git commit -qam o && git checkout -q main && "
                     + "echo ours > keep && git commit -qam m; git merge other >/dev/null 2>&1; true")
        #expect(try sh(dir, "git status --porcelain").hasPrefix("UU keep"))
        try commit(dir)
        #expect(try sh(dir, "git diff --cached --name-only; git status --porcelain | grep -v '^??' ; true") == "")
    }

    /// Over `ParallelStaging.threshold` files the blobs are written on several threads and the entries added
    /// from lstat: the tree must be the one `git add -A` makes of the same files, executables, symlinks,
    /// a nested repository and a CRLF-normalising .gitattributes included, on a first and a later commit.
    @Test func manyFilesStageLikeTheGitCLI() throws {
        let base = NSTemporaryDirectory() + "ar-bulk-\(UUID().uuidString)"
        let dir = base + "/w"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        _ = try sh(dir, "git init -q -b main && printf '*.txt text eol=lf\\n' > .gitattributes && echo '*.log' > .gitignore && "
                     + "for d in 0 1 2 3 4 5 6 7; do mkdir -p d$d/e; for i in $(seq 1 50); do echo \"$d $i\" > d$d/f$i; "
                     + "printf 'line\\r\\nnext\\r\\n' > d$d/e/t$i.txt; done; done && chmod +x d1/f* d3/e/t1.txt && "
                     + "ln -s d0/f1 top-link && ln -s ../f2 d2/e/link && echo x > skip.log && "
                     + "mkdir sub && cd sub && git init -q && echo s > s && git add s && git commit -qm s")
        try commitMatchesGitCLI(base: base, "first commit of 800 files")
        #expect(try sh(dir, "git ls-files -s d1/f1 d0/f1 top-link sub | awk '{print $1}'") == "100644\n100755\n160000\n120000\n")
        _ = try sh(dir, "for d in 0 2 4 6; do for i in $(seq 1 50); do echo more >> d$d/f$i; printf 'x\\r\\n' >> d$d/e/t$i.txt; done; done && "
                     + "chmod +x d0/f3 && rm d5/f1 && rm top-link && echo now-a-file > top-link")
        try commitMatchesGitCLI(base: base, "400 files modified, a mode change, a deletion, a symlink that became a file")
        #expect(try sh(dir, "git fsck --no-progress 2>&1; echo rc=$?").hasSuffix("rc=0\n"))
    }

    /// The parallel working-tree scan (`WorkdirScan`) against `git add -A`, case by case: ignore rules with a negation and
    /// an ignored folder that holds a tracked file, a file that became a folder and a folder that became a
    /// file, a symlink retargeted at the same length, an edit that kept size and mtime, a mode change, an
    /// empty folder, a new nested repository, a deletion.
    @Test func scanFindsWhatGitAddAllFinds() throws {
        let base = NSTemporaryDirectory() + "ar-scan-\(UUID().uuidString)"
        let dir = base + "/w"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        // Over WorkdirScan.minimumEntries tracked files, or libgit2's own scan would do the work.
        _ = try sh(dir, "git init -q -b main && mkdir fill && for i in $(seq 1 2100); do echo $i > fill/$i; done && git add fill && "
                     + "printf 'build/\\n*.log\\n!keep.log\\n' > .gitignore && mkdir -p build dir a && "
                     + "echo t > build/tracked && git add .gitignore && git add -f build/tracked && git commit -qm base && "
                     + "echo f > becomes-dir && echo g > dir/inner && ln -s aaaa link && echo same > same && echo x > mode && "
                     + "echo gone > gone && echo k > a/k")
        try commitMatchesGitCLI(base: base, "new files next to a tracked file in an ignored folder")
        _ = try sh(dir, "echo more >> build/tracked && echo n > build/new && echo k > keep.log && echo x > x.log && "
                     + "rm becomes-dir && mkdir becomes-dir && echo in > becomes-dir/file && rm -r dir && echo now-file > dir && "
                     + "ln -sfn bbbb link && m=$(stat -c %y same) && echo SAME > same && touch -d \"$m\" same && chmod +x mode && "
                     + "mkdir empty && rm gone && mkdir nested && cd nested && git init -q && echo s > s && git add s && git commit -qm s")
        try commitMatchesGitCLI(base: base, "every kind of change")
        let files = try sh(dir, "git ls-files -s | awk '{print $1, $4}'")
        #expect(files.contains("100644 build/tracked") && !files.contains("build/new") && files.contains("keep.log") && !files.contains("x.log"))
        #expect(files.contains("100644 becomes-dir/file") && files.contains("100644 dir\n") && files.contains("100755 mode"))
        #expect(files.contains("160000 nested") && !files.contains("gone") && !files.contains("empty"))
        #expect(try sh(dir, "git show HEAD:same") == "SAME\n", "an edit that kept size and mtime is seen (by its ctime)")
        _ = try sh(dir, "rm -r a && mkdir other && echo k2 > other/k && ln -s other a")
        try commitMatchesGitCLI(base: base, "a tracked folder replaced by a symlink to a folder with the same file name (left to libgit2's scan)")
        #expect(try sh(dir, "git ls-files -s a a/k other/k | awk '{print $1, $4}'") == "120000 a\n100644 other/k\n")
    }
}
