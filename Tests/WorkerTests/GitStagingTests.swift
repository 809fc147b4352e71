import Foundation
import Testing

/// What a libgit2 commit stages must match `git add -A`: read back with the git CLI.
@Suite("Git staging")
struct GitStagingTests {
    func sh(_ dir: String, _ command: String) throws -> String {
        try TestSpool.shell("cd '\(dir)' && export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t; \(command)")
    }

    @Test func stagesLikeGitAddAll() throws {
        let dir = NSTemporaryDirectory() + "ar-stage-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try sh(dir, "git init -q -b main && echo keep > keep && echo gone > gone && echo '*.log' > .gitignore && echo x > ignored.log")
        #expect(try TestSpool.cli(["git-commit", dir]).status == 0)
        #expect(try sh(dir, "git ls-files") == ".gitignore\ngone\nkeep\n")

        // Deleted, modified, new in a new folder, a type change, and a nested repository (a gitlink, as git records it).
        _ = try sh(dir, "rm gone && echo more >> keep && mkdir -p a/b && echo n > a/b/new && ln -s keep link && "
                     + "mkdir sub && cd sub && git init -q && echo s > s && git add s && git commit -qm s")
        #expect(try TestSpool.cli(["git-commit", dir]).status == 0)
        #expect(try sh(dir, "git status --porcelain") == "")
        let staged = try sh(dir, "git ls-files -s | awk '{print $1, $4}'")
        #expect(staged.contains("100644 a/b/new") && staged.contains("120000 link") && staged.contains("160000 sub"))
        #expect(!staged.contains("gone") && !staged.contains("ignored.log"))

        // A conflict left by a step's `git merge` is staged (resolved) rather than blocking the commit.
        _ = try sh(dir, "git checkout -qb other && echo theirs > keep && git commit -qam o && git checkout -q main && "
                     + "echo ours > keep && git commit -qam m; git merge other >/dev/null 2>&1; true")
        #expect(try sh(dir, "git status --porcelain").hasPrefix("UU keep"))
        let r = try TestSpool.cli(["git-commit", dir])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try sh(dir, "git diff --cached --name-only; git status --porcelain | grep -v '^??' ; true") == "")
    }
}
