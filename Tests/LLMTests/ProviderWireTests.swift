import Foundation
import JobSpec
import JSONCore
import Agent
@testable import LLM
import Testing
import TestSupport

/// The four wire formats against a local stub that replays the vendors' documented shapes.
@Suite(.serialized, .ownThread) struct ProviderWire {
    static let providers = ["anthropic", "openai", "gemini", "ollama"]
    let stub: StubServer

    init() throws { stub = try StubServer() }

    func provider(_ name: String, scenario: String, stream: Bool = true, key: String? = "sk-test-key-123",
                  maxAttempts: Int = 3) throws -> ProviderFactory.Resolved {
        var config = SpoolConfig()
        var p = ProviderSettings()
        p.baseURL = stub.base(scenario)
        p.stream = stream
        p.maxAttempts = maxAttempts
        p.timeout = 20
        p.apiKeyEnv = "STUB_KEY"
        config.providers[name] = p
        var env: [String: String] = [:]
        if let key { env["STUB_KEY"] = key }
        return try ProviderFactory.make(AgentSpec(provider: name, prompt: "x"), config: config, environment: env, retryBase: 0.01)
    }

    func request(tools: Bool = true) -> ChatRequest {
        let tool = ToolDefinition(name: "write_file", description: "Write a file", parameters: .object([("type", .string("object"))]))
        return ChatRequest(model: "stub-model", system: "Be careful.", messages: [.user("Create hello.txt")],
                           tools: tools ? [tool] : [], maxOutputTokens: 256)
    }

    @Test(arguments: ["anthropic", "openai", "gemini"])
    func recordedVendorStreamsDecode(name: String) async throws {
        let r = try provider(name, scenario: "fixture")
        let turn = try await r.provider.complete(request()) { _ in }
        #expect(turn.calls.count == 1)
        let call = try #require(turn.calls.first)
        switch name {
        case "anthropic":
            #expect(call == ToolCall(id: "toolu_01NRLabsLyVHZPKxbKvkfSMn", name: "get_weather", arguments: .object([("location", .string("Paris"))])))
            #expect(turn.text == "I'll check the current weather in Paris for you.")
            #expect(turn.usage == Usage(input: 377, output: 65))
            #expect(turn.stopReason == "tool_use")
        case "openai":
            #expect(call.id == "call_4XzlGBLtUe9dy3GVNV4jhq7h")
            #expect(call.name == "get_weather")
            #expect(call.arguments["city"] != nil)
        default:
            #expect(call.name == "weather")
            #expect(call.arguments == .object([("location", .string("San Francisco"))]))
            #expect(call.signature?.isEmpty == false, "Gemini's thoughtSignature is kept for the next turn")
            #expect(turn.usage == Usage(input: 29, output: 15))
        }
    }

    @Test func geminiWholeResponseDecodes() async throws {
        let turn = try await provider("gemini", scenario: "fixture", stream: false).provider.complete(request()) { _ in }
        #expect(turn.calls.map(\.name) == ["weather"])
        #expect(turn.stopReason == "STOP")
    }

    @Test(arguments: providers, [true, false])
    func toolCallThenAnswer(name: String, stream: Bool) async throws {
        let r = try provider(name, scenario: "agent", stream: stream)
        let first = try await r.provider.complete(request()) { _ in }
        let call = try #require(first.calls.first)
        #expect(call.name == "write_file")
        #expect(call.arguments["path"]?.stringValue == "hello.txt")
        var next = request()
        next.messages += [.assistant(text: first.text, calls: first.calls),
                          .toolResults([ToolResult(callID: call.id, name: call.name, content: "ok", isError: false)])]
        let second = try await r.provider.complete(next) { _ in }
        #expect(second.calls.isEmpty)
        #expect(second.text == "Done.")
        #expect(second.usage.total > 0)
    }

    @Test(arguments: providers)
    func requestsFollowTheVendorShape(name: String) async throws {
        let r = try provider(name, scenario: "agent-shape-\(name)")
        _ = try await r.provider.complete(request()) { _ in }
        let req = try #require(stub.requests().last)
        let headers = (req["headers"] as? [String: String] ?? [:]).reduce(into: [String: String]()) { $0[$1.key.lowercased()] = $1.value }
        let body = try #require(req["body"] as? [String: Any])
        let path = req["path"] as? String ?? ""
        switch name {
        case "anthropic":
            #expect(path == "/v1/messages")
            #expect(headers["x-api-key"] == "sk-test-key-123")
            #expect(headers["anthropic-version"] == "2023-06-01")
            #expect(body["system"] as? String == "Be careful.")
            #expect(body["max_tokens"] as? Int == 256)
            #expect((body["tools"] as? [[String: Any]])?.first?["input_schema"] != nil)
        case "openai":
            #expect(path == "/v1/chat/completions")
            #expect(headers["authorization"] == "Bearer sk-test-key-123")
            #expect((body["messages"] as? [[String: Any]])?.first?["role"] as? String == "system")
            #expect(((body["tools"] as? [[String: Any]])?.first?["function"] as? [String: Any])?["name"] as? String == "write_file")
        case "gemini":
            #expect(path == "/v1beta/models/stub-model:streamGenerateContent?alt=sse")
            #expect(headers["x-goog-api-key"] == "sk-test-key-123")
            #expect(body["systemInstruction"] != nil)
            #expect(((body["tools"] as? [[String: Any]])?.first?["functionDeclarations"] as? [Any])?.count == 1)
        default:
            #expect(path == "/api/chat")
            #expect(body["stream"] as? Bool == true)
            #expect((body["messages"] as? [[String: Any]])?.first?["role"] as? String == "system")
        }
    }

    @Test(arguments: ["anthropic", "openai", "gemini"])
    func aRequiredToolCallUsesTheVendorsToolChoice(name: String) async throws {
        let r = try provider(name, scenario: "agent-choice-\(name)")
        var req = request()
        req.requireToolCall = true
        _ = try await r.provider.complete(req) { _ in }
        let body = try #require(stub.requests().last?["body"] as? [String: Any])
        switch name {
        case "anthropic": #expect((body["tool_choice"] as? [String: Any])?["type"] as? String == "any")
        case "openai": #expect(body["tool_choice"] as? String == "required")
        default: #expect(((body["toolConfig"] as? [String: Any])?["functionCallingConfig"] as? [String: Any])?["mode"] as? String == "ANY")
        }
        _ = try await r.provider.complete(request()) { _ in }
        let plain = try #require(stub.requests().last?["body"] as? [String: Any])
        #expect(plain["tool_choice"] == nil && plain["toolConfig"] == nil)
    }

    @Test(arguments: providers, ["429once", "500once", "cutonce"])
    func transientFailuresAreRetried(name: String, scenario: String) async throws {
        let r = try provider(name, scenario: "\(scenario)-\(name)-\(UUID().uuidString.prefix(8))")
        let notices = NoticeLog()
        let turn = try await r.provider.complete(request()) { notices.add($0) }
        #expect(turn.calls.first?.name == "write_file")
        #expect(notices.count == 1)
    }

    @Test(arguments: providers)
    func aStreamCutEveryTimeEndsInAClearError(name: String) async throws {
        let r = try provider(name, scenario: "cut", maxAttempts: 2)
        await #expect {
            _ = try await r.provider.complete(request()) { _ in }
        } throws: { error in
            guard case .malformed(let p, let m) = error as? LLMError else { return false }
            return p == name && m.contains("ended before")
        }
    }

    @Test(arguments: providers)
    func malformedJSONIsAnError(name: String) async throws {
        let r = try provider(name, scenario: "malformed", maxAttempts: 1)
        await #expect(throws: LLMError.self) { _ = try await r.provider.complete(request()) { _ in } }
    }

    @Test(arguments: providers)
    func clientErrorsNameProviderStatusAndMessage(name: String) async throws {
        let r = try provider(name, scenario: "400")
        do {
            _ = try await r.provider.complete(request()) { _ in }
            Issue.record("expected an error")
        } catch {
            #expect(error == .http(provider: name, status: 400, message: error.message))
            #expect(error.description.contains("\(name) answered HTTP 400"))
            #expect(error.description.contains("stub-bad is not a model"))
            #expect(stub.requests().filter { ($0["scenario"] as? String) == "400" && ($0["path"] as? String)?.isEmpty == false }.count >= 1)
        }
    }

    /// Models without native tool calls: the tools go into the system prompt, the answer is constrained by a
    /// JSON schema where the server supports it, and the JSON text comes back as a tool call.
    @Test(arguments: providers)
    func jsonToolModeTurnsTextIntoToolCalls(name: String) async throws {
        var config = SpoolConfig()
        var p = ProviderSettings()
        p.baseURL = stub.base("json")
        p.toolMode = .json
        config.providers[name] = p
        let r = try ProviderFactory.make(AgentSpec(provider: name, prompt: "x"), config: config, environment: ["X": "y"], retryBase: 0.01)
        #expect(r.mode == .json)
        let first = try await r.provider.complete(request()) { _ in }
        let call = try #require(first.calls.first)
        #expect(call.name == "write_file")
        #expect(call.arguments["content"]?.stringValue == "hi from json mode\n")
        let sent = try #require(stub.requests().last?["body"] as? [String: Any])
        #expect(sent["tools"] == nil, "no native tools in JSON mode")
        switch name {
        case "openai": #expect((sent["response_format"] as? [String: Any])?["type"] as? String == "json_schema")
        case "ollama": #expect(sent["format"] is [String: Any])
        case "gemini": #expect((sent["generationConfig"] as? [String: Any])?["responseSchema"] != nil)
        default: #expect((sent["system"] as? String ?? "").contains("write_file"))
        }
        var next = request()
        next.messages += [.assistant(text: first.text, calls: first.calls),
                          .toolResults([ToolResult(callID: call.id, name: call.name, content: "wrote 18 bytes", isError: false)])]
        let second = try await r.provider.complete(next) { _ in }
        #expect(second.calls.isEmpty)
        #expect(second.text == "Done.")
    }

    @Test func cancellingAbortsTheTransferPromptly() async throws {
        let r = try provider("openai", scenario: "hang")
        let started = Date()
        let task = Task { try await r.provider.complete(request()) { _ in } }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let result = await task.result
        #expect(Date().timeIntervalSince(started) < 10, "the stub hangs for 60 s; cancel must not wait for it")
        guard case .failure(let e) = result else { Issue.record("a hanging request cannot succeed"); return }
        #expect(e as? LLMError == .cancelled)
    }

    @Test func keysNeverAppearInErrors() async throws {
        // The stub's 400 body does not echo the key, so make the error carry it: an unreachable URL with the
        // key in it would be too contrived; instead check redaction directly and through a real error.
        let e = LLMError.http(provider: "openai", status: 401, message: "Incorrect API key provided: sk-test-key-123")
        #expect(!e.redacting(["sk-test-key-123"]).description.contains("sk-test-key-123"))
        let r = try provider("openai", scenario: "400")
        do { _ = try await r.provider.complete(request()) { _ in } } catch {
            #expect(!error.description.contains("sk-test-key-123"))
        }
    }
}

final class NoticeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [ProviderNotice] = []
    func add(_ n: ProviderNotice) { lock.lock(); items.append(n); lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return items.count }
}

extension LLMError {
    var message: String {
        if case .http(_, _, let m) = self { return m }
        return description
    }
}
