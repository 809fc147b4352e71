import Foundation
import GitKit
import JobSpec
import SpoolCore
import Synchronization

/// A run's git side: its worktree and branch, commits after steps and turns, and the final patch.
/// @unchecked Sendable: the worktree (a libgit2 handle) is only used under `lock`.
final class GitSession: @unchecked Sendable {
    let worktree: RunWorktree
    let author: GitSignature
    let run: RunID
    let title: String
    private let lock = Mutex(())

    init(worktree: RunWorktree, author: GitSignature, run: RunID, title: String) {
        self.worktree = worktree
        self.author = author
        self.run = run
        self.title = title
    }

    /// Opens (or, for a run taken over, reopens) the run's worktree under `spool/worktrees/RUN`.
    static func open(job: Job, repository: String, spool: Spool, run: RunID, config: SpoolConfig) throws(GitError) -> GitSession {
        let settings = job.git ?? GitSettings()
        let branch = settings.branch.replacingOccurrences(of: "{run}", with: run.rawValue)
        let worktree = try RunWorktree.open(repository: repository, worktreePath: spool.root.display + "/worktrees/" + run.rawValue,
                                            branch: branch, name: run.rawValue)
        let author = GitSignature(name: settings.authorName ?? config.git.authorName, email: settings.authorEmail ?? config.git.authorEmail)
        return GitSession(worktree: worktree, author: author, run: run, title: job.title ?? "agent run")
    }

    /// Commits whatever changed; the message is `subject`, then `body`, then a `Run-Id:` trailer.
    func commit(subject: String, body: String? = nil) -> Result<GitCommitInfo?, GitError> {
        lock.withLock { _ -> Result<GitCommitInfo?, GitError> in
            var message = String(subject.split(separator: "\n").first ?? "")
            if message.count > 72 { message = String(message.prefix(71)) + "…" }
            if message.isEmpty { message = title }
            if let body, !body.isEmpty { message += "\n\n" + body }
            message += "\n\nRun-Id: \(run.rawValue)\n"
            do throws(GitError) { return .success(try worktree.commitAll(message: message, author: author)) } catch { return .failure(error) }
        }
    }

    func patch() -> Result<String, GitError> {
        lock.withLock { _ -> Result<String, GitError> in
            do throws(GitError) { return .success(try worktree.patch()) } catch { return .failure(error) }
        }
    }

    func remove() -> GitError? {
        lock.withLock { _ -> GitError? in
            do throws(GitError) { try worktree.remove(); return nil } catch { return error }
        }
    }

    static func commitFields(_ info: GitCommitInfo, branch: String, extra: [(String, JSON)]) -> [(String, JSON)] {
        [("sha", .string(info.sha)), ("branch", .string(branch))] + extra + [
            ("files", .array(info.files.map { .object([("path", .string($0.path)), ("change", .string($0.change.rawValue))]) })),
        ]
    }
}
