import Foundation
import Testing
import TestSupport

/// Runs `git` (the real CLI) to read back what libgit2 wrote.
func git(_ args: [String], in dir: String) -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
    p.arguments = ["-C", dir] + args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return "" }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

extension TestSpool {
    /// A git repository beside the spool, with one commit and a dirty file in its main checkout.
    func makeRepository(_ name: String = "repo") throws -> String {
        let repo = URL(fileURLWithPath: root).deletingLastPathComponent().path + "/" + name
        try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
        _ = git(["init", "-q", "-b", "main"], in: repo)
        try "base\n".write(toFile: repo + "/README.md", atomically: true, encoding: .utf8)
        _ = git(["add", "README.md"], in: repo)
        _ = git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "base"], in: repo)
        try "work in progress\n".write(toFile: repo + "/dirty.txt", atomically: true, encoding: .utf8)
        return repo
    }
}

extension Integration {
    @Suite struct AgentRuns {
        /// A 1 s lease (WorkerTests' `Lease.config`): a crashed worker's run is taken over quickly.
        static let shortLease = "lease: 1s\npoll_interval: 200ms\nsettle: 0s\ngrace: 200ms\nshutdown_grace: 500ms\nkill_grace: 500ms\n"

        /// A job whose agent follows `script` (the scripted provider's list, one item per `- ` line) in ../repo.
        static func scripted(_ script: String) -> String {
            "workspace: ../repo\nagent:\n  provider: scripted\n  prompt: x\n  script:\n"
                + script.split(separator: "\n").map { "    \($0)\n" }.joined()
        }

        static let script = """
            title: Add a CONTRIBUTING file
            workspace: ../repo
            git:
              author: {name: Test Bot, email: bot@example.com}
            agent:
              provider: scripted
              prompt: Write CONTRIBUTING.md
              script:
                - say: Writing it.
                  tool: write_file
                  args: {path: CONTRIBUTING.md, content: "Run the tests.\\n"}
                - tool: edit_file
                  args: {path: CONTRIBUTING.md, old_string: "the tests", new_string: "scripts/test.sh"}
                - tool: read_file
                  args: {path: ../../../etc/passwd}
                - say: Done.

            """

        @Test func scriptedRunCommitsEachTurnOnItsOwnBranch() throws {
            let s = try TestSpool()
            let repo = try s.makeRepository()
            try s.drop("contrib.yaml", Self.script)
            #expect(try s.drain() == 0)
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "succeeded")
            let types = ev.map { $0["type"] as? String ?? "" }
            for t in ["git.branch", "step.started", "agent.started", "llm.request", "llm.response", "tool.call", "tool.result", "git.commit"] {
                #expect(types.contains(t), "\(t) missing from \(types)")
            }
            let refused = ev.first { $0["type"] as? String == "tool.result" && $0["name"] as? String == "read_file" }
            #expect(refused?["ok"] as? Bool == false)
            #expect((refused?["content"] as? String ?? "").contains("leaves the workspace"))
            let commits = ev.filter { $0["type"] as? String == "git.commit" }
            #expect(commits.count == 2, "one commit per turn that changed files")
            let branch = "agent/\(run)"
            #expect(ev.last?["branch"] as? String == branch)
            // The git CLI reads back what libgit2 wrote.
            let log = git(["log", "--format=%H|%an|%ae|%s|%(trailers:key=Run-Id,valueonly,separator=)", branch], in: repo)
            let lines = log.split(separator: "\n")
            #expect(lines.count == 3, "\(log)")
            #expect(lines.first?.hasPrefix(commits.last?["sha"] as? String ?? "?") == true)
            #expect(lines.prefix(2).allSatisfy { $0.contains("|Test Bot|bot@example.com|") && $0.hasSuffix("|\(run)") }, "\(log)")
            #expect(git(["show", "\(branch):CONTRIBUTING.md"], in: repo) == "Run scripts/test.sh.\n")
            #expect(git(["show", "--stat", "--format=", branch], in: repo).contains("CONTRIBUTING.md"))
            let patch = try String(contentsOfFile: "\(s.done)/\(run).artifacts/patch.diff", encoding: .utf8)
            #expect(patch.contains("+Run scripts/test.sh."))
            #expect(patch == git(["diff", "main", branch], in: repo), "patch.diff is the base-to-head diff")
            // The main checkout is untouched and the worktree is gone; the branch stays.
            #expect(git(["status", "--porcelain"], in: repo) == "?? dirty.txt\n")
            #expect(git(["rev-parse", "--abbrev-ref", "HEAD"], in: repo) == "main\n")
            #expect(!git(["worktree", "list"], in: repo).contains(run))
            #expect(!FileManager.default.fileExists(atPath: "\(s.root)/worktrees/\(run)"))
        }

        @Test func twoConcurrentRunsOnOneRepositoryDoNotCrossTalk() throws {
            let s = try TestSpool(config: "concurrency: 2\nsettle: 0s\npoll_interval: 200ms\n")
            let repo = try s.makeRepository()
            for name in ["a", "b"] {
                try s.drop("\(name).yaml", Self.scripted("""
                    - tool: write_file
                      args: {path: same.txt, content: "from \(name)\\n"}
                    - tool: shell
                      args: {command: "sleep 0.5; echo \(name) > own-\(name).txt"}
                    - say: ok
                    """))
            }
            #expect(try s.drain() == 0)
            let runs = s.runIDs(in: s.done)
            #expect(runs.count == 2)
            var seen: Set<String> = []
            for run in runs {
                try s.checkFinished(run, status: "succeeded")
                let job = try String(contentsOfFile: "\(s.done)/\(run).yaml", encoding: .utf8)
                let name = job.contains("from a") ? "a" : "b"
                seen.insert(name)
                let files = git(["ls-tree", "--name-only", "agent/\(run)"], in: repo).split(separator: "\n").map(String.init)
                #expect(Set(files) == ["README.md", "same.txt", "own-\(name).txt"], "\(files)")
                #expect(git(["show", "agent/\(run):same.txt"], in: repo) == "from \(name)\n")
            }
            #expect(seen == ["a", "b"])
        }

        @Test(arguments: ["anthropic", "openai", "gemini", "ollama"])
        func providerRunThroughTheStubCommitsAndNeverLeaksTheKey(provider: String) throws {
            let stub = try StubServer()
            let key = "sk-secret-\(UUID().uuidString.prefix(8))"
            let s = try TestSpool(config: """
                settle: 0s
                providers:
                  \(provider):
                    base_url: \(stub.base("agent"))
                    api_key_env: STUB_PROVIDER_KEY

                """)
            _ = try s.makeRepository()
            try s.drop("p.yaml", """
                workspace: ../repo
                steps:
                  - run: env > env.txt; echo key=${STUB_PROVIDER_KEY:-unset}
                  - agent:
                      provider: \(provider)
                      model: stub-model
                      prompt: Create hello.txt

                """)
            #expect(try s.drain(env: ["STUB_PROVIDER_KEY": key]) == 0)
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "succeeded")
            let commit = ev.filter { $0["type"] as? String == "git.commit" }
            #expect(commit.contains { ($0["files"] as? [[String: Any]])?.contains { $0["path"] as? String == "hello.txt" } == true })
            #expect(git(["show", "agent/\(run):hello.txt"], in: s.root + "/../repo") == "hi from \(provider)\n")
            // The key reached the server…
            #expect(stub.requests().contains { "\($0["headers"] ?? "")".contains(key) })
            // …and nowhere else: not in events, artifacts, or what the shell step could see.
            let leaks = try FileManager.default.subpathsOfDirectory(atPath: s.root).filter { path in
                guard let data = FileManager.default.contents(atPath: s.root + "/" + path) else { return false }
                return String(decoding: data, as: UTF8.self).contains(key)
            }
            #expect(leaks.isEmpty, "the API key leaked into \(leaks)")
            #expect(git(["show", "agent/\(run):env.txt"], in: s.root + "/../repo").contains(key) == false)
        }

        @Test func stopAbortsARequestInFlightAndCommitsWhatThereIs() throws {
            let stub = try StubServer()
            let s = try TestSpool(config: "settle: 0s\nproviders:\n  openai:\n    base_url: \(stub.base("hang2-stop"))\n    api_key_env: NO_KEY\n")
            _ = try s.makeRepository()
            let submitted = try s.run(["submit", "-"], stdin: "workspace: ../repo\nagent:\n  provider: openai\n  prompt: x\n")
            let run = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let w = try s.startWorker(["--drain"])
            // The second request hangs (the stub never answers it).
            #expect(s.wait(timeout: 20) { ((try? s.types(run, in: s.cur)) ?? []).filter { $0 == "llm.request" }.count == 2 })
            let stopAsked = Date()
            #expect(try s.run(["stop", run]).status == 0)
            #expect(w.waitForExit(timeout: 20))
            #expect(Date().timeIntervalSince(stopAsked) < 10, "stop must abort the request, not wait for the server")
            let ev = try s.checkFinished(run, status: "stopped")
            #expect(ev.contains { $0["type"] as? String == "stop.requested" })
            #expect(git(["show", "agent/\(run):hello.txt"], in: s.root + "/../repo") == "hi from openai\n", "the turn before the stop is committed")
        }

        @Test func stepAndTokenLimitsEndTheRunWithAClearReason() throws {
            let s = try TestSpool()
            let turns = (1...4).map { "        - tool: write_file\n          args: {path: f\($0).txt, content: x}\n          tokens: 600\n" }.joined()
            try s.drop("steps.yaml", "agent:\n  provider: scripted\n  prompt: x\n  max_steps: 2\n  script:\n\(turns)")
            try s.drop("tokens.yaml", "agent:\n  provider: scripted\n  prompt: x\n  max_tokens: 1000\n  script:\n\(turns)")
            #expect(try s.drain() == 0)
            #expect(s.runIDs(in: s.done).count == 2)
            for run in s.runIDs(in: s.done) {
                let ev = try s.checkFinished(run, status: "failed")
                let reason = ev.last?["reason"] as? String ?? ""
                let job = try String(contentsOfFile: "\(s.done)/\(run).yaml", encoding: .utf8)
                if job.contains("max_steps") { #expect(reason.contains("max_steps"), "\(reason)") }
                else { #expect(reason.contains("max_tokens") && reason.contains("1200"), "\(reason)") }
                #expect(ev.filter { $0["type"] as? String == "llm.response" }.count == 2)
                #expect(ev.contains { $0["type"] as? String == "git.commit" }, "a failed run still commits its work")
            }
        }

        /// A worker killed in the middle of an agent step: the next worker rebuilds the conversation from the
        /// events and goes on with the next turn instead of starting over.
        @Test func aRunTakenOverAfterACrashResumesItsConversation() throws {
            let s = try TestSpool(config: Self.shortLease)
            _ = try s.makeRepository()
            let marker = s.root + "/../turn2"
            try s.drop("resume.yaml", Self.scripted("""
                - tool: write_file
                  args: {path: one.txt, content: "1\\n"}
                - tool: shell
                  args: {command: "echo $$ > \(marker); sleep 60"}
                - tool: write_file
                  args: {path: three.txt, content: "3\\n"}
                - say: Done.
                """))
            let a = try s.startWorker()
            #expect(s.wait(timeout: 20) { ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").hasSuffix("\n") })
            a.kill(SIGKILL)
            #expect(a.waitForExit(timeout: 10))
            #expect(try s.drain() == 0)
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "succeeded")
            let turns = ev.filter { $0["type"] as? String == "llm.response" }.compactMap { $0["turn"] as? Int }
            #expect(turns == [1, 2, 3, 4], "turns 1 and 2 are not asked again: \(turns)")
            let resumed = try #require(ev.first { $0["type"] as? String == "agent.resumed" })
            #expect(resumed["turns"] as? Int == 2)
            #expect(resumed["interrupted_calls"] as? Int == 1)
            let files = git(["ls-tree", "--name-only", "agent/\(run)"], in: s.root + "/../repo")
            #expect(files.contains("one.txt") && files.contains("three.txt"), "\(files)")
        }
    }
}
