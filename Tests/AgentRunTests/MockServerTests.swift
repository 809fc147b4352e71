import Foundation
import Testing
import TestSupport

/// Full agent runs against mock servers written by others, installed from PyPI by `scripts/deps.sh --test`:
/// fakellm (OpenAI and Anthropic, tool calls from rules) and llm-katan (OpenAI, Anthropic and Gemini, echo
/// backend, which always calls the first tool with dummy arguments).
extension Integration {
    @Suite struct MockServers {
        func run(provider: String, server: LocalServer, extraConfig: String = "", tools: String = "", maxSteps: Int = 4) throws
            -> (TestSpool, String, [[String: Any]]) {
            let s = try TestSpool(config: """
                settle: 0s
                providers:
                  \(provider):
                    base_url: \(server.baseURL)
                \(extraConfig)
                """)
            _ = try s.makeRepository()
            try s.drop("mock.yaml", """
                workspace: ../repo
                agent:
                  provider: \(provider)
                  model: echo
                  prompt: Create hello.txt
                  max_steps: \(maxSteps)
                \(tools)
                """)
            #expect(try s.drain(env: ["OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k", "GEMINI_API_KEY": "k"]) == 0)
            let run = try #require(s.runIDs(in: s.done).first)
            return (s, run, try s.events(run, in: s.done))
        }

        @Test(arguments: ["openai", "anthropic"])
        func fakellmRunWritesAndCommitsAFile(provider: String) throws {
            let server = try LocalServer(["fakellm", "serve", "--host", "127.0.0.1", "--port", "{port}", "--config",
                                          StubServer.fixtures + "/fakellm.yaml"])
            let (s, run, _) = try run(provider: provider, server: server)
            try s.checkFinished(run, status: "succeeded")
            #expect(git(["show", "agent/\(run):hello.txt"], in: s.root + "/../repo") == "hi from fakellm\n")
        }

        @Test(arguments: ["openai", "anthropic", "gemini"])
        func llmKatanRunCommitsAFile(provider: String) throws {
            let server = try LocalServer(["llm-katan", "--model", "echo", "--backend", "echo", "--host", "127.0.0.1", "--port", "{port}",
                                          "--providers", "openai,anthropic,vertexai"])
            // llm-katan takes Gemini's key only as ?key=; it calls the first tool forever, so the run ends at max_steps.
            let (s, run, ev) = try run(provider: provider, server: server,
                                       extraConfig: provider == "gemini" ? "    api_key_in: query\n" : "",
                                       tools: "  tools: [write_file]\n", maxSteps: 2)
            try s.checkFinished(run, status: "failed")
            #expect((ev.last?["reason"] as? String ?? "").contains("max_steps"))
            #expect(ev.contains { $0["type"] as? String == "git.commit" })
            #expect(git(["show", "agent/\(run):test_path"], in: s.root + "/../repo") == "test_content")
        }
    }
}
