import ArgumentParser
import Foundation
import GitKit

/// Commits everything in a folder with libgit2, the way agent runs commit. Hidden: it exists so the
/// benchmark can time libgit2 against `git add -A && git commit` on the same tree.
struct GitCommit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "git-commit", abstract: "Commit every change in a folder with libgit2 (git init if needed).",
        shouldDisplay: false)

    @Argument(help: "The repository folder.") var path: String
    @Option(help: "Commit message.") var message = "commit"

    func run() throws {
        // A worker initialises libgit2 once (its TLS backend parses the system's CA certificates then), not
        // per commit: that stays out of the time printed, as the process start does.
        _ = GitLibrary.shared
        let started = Date()
        let ws = try GitWorkspace(path: path)
        let info = try ws.commitAll(message: message, author: GitSignature(name: "Agent Runner", email: "agent-runner@localhost"))
        let ms = Date().timeIntervalSince(started) * 1000
        print("\(info?.sha ?? "nothing to commit") \(info?.files.count ?? 0) files \(String(format: "%.1f", ms)) ms")
    }
}
