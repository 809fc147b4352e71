import Foundation
import GitKit
import Testing
import TestSupport

/// `RunWorktree`: a run's own branch and worktree beside a repository's main checkout, read back with the git CLI.
@Suite(.ownThread) struct RunWorktreeTests {
    let author = GitSignature(name: "Test Bot", email: "bot@example.com")

    func sh(_ dir: String, _ command: String) throws -> String {
        try TestSpool.shell("cd '\(dir)' && export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t; \(command)")
    }

    func line(_ dir: String, _ command: String) throws -> String {
        try sh(dir, command).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A temporary folder holding `repo/` (one commit on main and an uncommitted file in its checkout).
    func makeRepository() throws -> (base: String, repo: String) {
        let base = NSTemporaryDirectory() + "ar-worktree-\(UUID().uuidString)"
        let repo = base + "/repo"
        try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
        _ = try sh(repo, "git init -q -b main && echo base > README.md && git add README.md && git commit -qm base && echo wip > dirty.txt")
        return (base, repo)
    }

    @Test func aCommitGoesOnTheRunsBranchAndLeavesMainAlone() throws {
        let (base, repo) = try makeRepository()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let mainHead = try line(repo, "git rev-parse main")
        let wt = try RunWorktree.open(repository: repo, worktreePath: base + "/wt/run-1", branch: "agent/run-1", name: "run-1")
        #expect(wt.baseCommit == mainHead)
        #expect(FileManager.default.fileExists(atPath: wt.path + "/README.md"), "the worktree is checked out at the base")
        #expect(!FileManager.default.fileExists(atPath: wt.path + "/dirty.txt"), "uncommitted files of main stay there")

        try "# Notes\nhello\n".write(toFile: wt.path + "/NOTES.md", atomically: true, encoding: .utf8)
        try "changed\n".write(toFile: wt.path + "/README.md", atomically: true, encoding: .utf8)
        let info = try #require(try wt.commitAll(message: "add notes", author: author))
        #expect(try line(repo, "git rev-parse agent/run-1") == info.sha)
        #expect(wt.head == info.sha)
        #expect(try line(repo, "git rev-parse agent/run-1^") == mainHead, "the commit's parent is the base")
        #expect(try line(repo, "git log -1 --format='%an <%ae> %s' agent/run-1") == "Test Bot <bot@example.com> add notes")
        #expect(Set(info.files.map(\.path)) == ["NOTES.md", "README.md"])
        #expect(info.files.first { $0.path == "NOTES.md" }?.change == .added)
        #expect(info.files.first { $0.path == "README.md" }?.change == .modified)

        #expect(try line(repo, "git rev-parse main") == mainHead, "main did not move")
        #expect(try sh(repo, "git status --porcelain") == "?? dirty.txt\n", "the main checkout is untouched")
        #expect(try sh(repo, "cat README.md") == "base\n")

        let patch = try wt.patch()
        #expect(patch.contains("+hello") && patch.contains("-base") && patch.contains("+changed"))
        #expect(try wt.commitAll(message: "nothing", author: author) == nil, "nothing changed since the last commit")
    }

    @Test func reopeningKeepsTheBaseAndRemovingKeepsTheBranch() throws {
        let (base, repo) = try makeRepository()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let path = base + "/wt/run-2"
        let first = try RunWorktree.open(repository: repo, worktreePath: path, branch: "agent/run-2", name: "run-2")
        try "x\n".write(toFile: path + "/x.txt", atomically: true, encoding: .utf8)
        let info = try #require(try first.commitAll(message: "x", author: author))
        // main moves on after the run started: a worker taking the run over still diffs against the first base.
        _ = try sh(repo, "echo later > later.txt && git add later.txt && git commit -qm later")
        let again = try RunWorktree.open(repository: repo, worktreePath: path, branch: "agent/run-2", name: "run-2")
        #expect(again.baseCommit == first.baseCommit)
        #expect(again.head == info.sha)
        #expect(!(try again.patch()).contains("later.txt"))

        try again.remove()
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try line(repo, "git rev-parse agent/run-2") == info.sha, "the branch and its commit stay")
        #expect(try line(repo, "git worktree list --porcelain | grep -c '^worktree '") == "1", "git forgot the worktree")
    }

    @Test func aMissingRepositoryIsCreatedWithAnEmptyBase() throws {
        let base = NSTemporaryDirectory() + "ar-worktree-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let repo = base + "/fresh"
        let wt = try RunWorktree.open(repository: repo, worktreePath: base + "/wt/run-3", branch: "agent/run-3", name: "run-3")
        let emptyTree = try line(base, "git hash-object -t tree /dev/null")
        #expect(try line(repo, "git rev-parse '\(wt.baseCommit)^{tree}'") == emptyTree)
        try "new\n".write(toFile: wt.path + "/new.txt", atomically: true, encoding: .utf8)
        let info = try #require(try wt.commitAll(message: "first", author: author))
        #expect(info.files.map(\.path) == ["new.txt"] && info.files.first?.change == .added)
        #expect(try sh(repo, "git show agent/run-3:new.txt") == "new\n")
    }
}
