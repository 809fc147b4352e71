import JSONCore

/// Ollama `/api/chat`: NDJSON lines when streaming; tool arguments are JSON objects, and calls have no ids.
struct OllamaFormat: WireFormat {
    let name = "ollama"
    let framing = StreamFraming.ndjson

    func path(model: String, stream: Bool) -> String { "/api/chat" }

    func headers(apiKey: String?) -> [(String, String)] {
        var h = [("content-type", "application/json")]
        if let apiKey { h.append(("authorization", "Bearer \(apiKey)")) }
        return h
    }

    func body(_ request: ChatRequest, mode: ToolCallMode, stream: Bool) -> JSON {
        var msgs: [JSON] = []
        let system = mode == .json ? JSONToolMode.system(request.system, tools: request.tools) : request.system
        if let system { msgs.append(.object([("role", .string("system")), ("content", .string(system))])) }
        if mode == .json {
            msgs += JSONToolMode.plainMessages(request.messages).map { .object([("role", .string($0.role)), ("content", .string($0.text))]) }
        } else {
            for m in request.messages {
                switch m {
                case .user(let t): msgs.append(.object([("role", .string("user")), ("content", .string(t))]))
                case .assistant(let t, let calls):
                    var f: [(String, JSON)] = [("role", .string("assistant")), ("content", .string(t))]
                    if !calls.isEmpty {
                        f.append(("tool_calls", .array(calls.map { c in
                            .object([("function", .object([("name", .string(c.name)), ("arguments", c.arguments)]))])
                        })))
                    }
                    msgs.append(.object(f))
                case .toolResults(let results):
                    for r in results {
                        msgs.append(.object([("role", .string("tool")), ("content", .string(r.content)), ("tool_name", .string(r.name))]))
                    }
                }
            }
        }
        var fields: [(String, JSON)] = [("model", .string(request.model)), ("stream", .bool(stream)), ("messages", .array(msgs))]
        if mode == .native && !request.tools.isEmpty {
            fields.append(("tools", ToolDefinition.functionTools(request.tools)))
        }
        if mode == .json { fields.append(("format", JSONToolMode.schema(request.tools, allowFinish: request.messages.hasToolResults))) }
        fields.append(("options", .object([("num_predict", .int(request.maxOutputTokens))])))
        return .object(fields)
    }

    func decode(_ body: JSON) throws(LLMError) -> ModelTurn {
        let s = OllamaStream(format: self)
        s.add(body)
        return try s.finish()
    }

    func errorMessage(_ body: JSON) -> String? { body["error"]?.stringValue ?? body["error"]?["message"]?.stringValue }

    func makeStreamDecoder() -> any StreamDecoder { OllamaStream(format: self) }
}

final class OllamaStream: StreamDecoder {
    let format: OllamaFormat
    var turn = ModelTurn()
    var done = false

    init(format: OllamaFormat) { self.format = format }

    func consume(event: String?, data: String) throws(LLMError) {
        let obj = try format.parseObject(data)
        if let e = format.errorMessage(obj), obj["message"] == nil {
            throw .http(provider: format.name, status: 500, message: "error in the stream: \(e)")
        }
        add(obj)
    }

    func add(_ obj: JSON) {
        if let m = obj["message"] {
            turn.text += m["content"]?.stringValue ?? ""
            for c in m["tool_calls"]?.arrayValue ?? [] {
                guard let fn = c["function"], let name = fn["name"]?.stringValue else { continue }
                var args = fn["arguments"] ?? .object([])
                if let s = args.stringValue, let parsed = JSON.parse(Array(s.utf8)) { args = parsed }
                turn.calls.append(ToolCall(id: c["id"]?.stringValue ?? "call_\(turn.calls.count + 1)", name: name, arguments: args))
            }
        }
        if obj["done"]?.boolValue == true {
            done = true
            turn.stopReason = obj["done_reason"]?.stringValue ?? "stop"
            turn.usage = Usage(input: obj["prompt_eval_count"]?.intValue ?? 0, output: obj["eval_count"]?.intValue ?? 0)
        }
    }

    func finish() throws(LLMError) -> ModelTurn {
        guard done else { throw format.malformed("the stream ended before a line with \"done\": true") }
        return turn
    }
}
