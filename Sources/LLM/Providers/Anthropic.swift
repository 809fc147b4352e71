import JSONCore

/// Anthropic Messages API: `POST /v1/messages`, SSE with typed events when streaming.
struct AnthropicFormat: WireFormat {
    let name = "anthropic"
    let framing = StreamFraming.sse

    func path(model: String, stream: Bool) -> String { "/v1/messages" }

    func headers(apiKey: String?) -> [(String, String)] {
        var h = [("anthropic-version", "2023-06-01"), ("content-type", "application/json")]
        if let apiKey { h.append(("x-api-key", apiKey)) }
        return h
    }

    func body(_ request: ChatRequest, mode: ToolCallMode, stream: Bool) -> JSON {
        var fields: [(String, JSON)] = [("model", .string(request.model)), ("max_tokens", .int(request.maxOutputTokens))]
        let system = mode == .json ? JSONToolMode.system(request.system, tools: request.tools) : request.system
        if let system { fields.append(("system", .string(system))) }
        fields.append(("stream", .bool(stream)))
        if mode == .native && !request.tools.isEmpty {
            fields.append(("tools", .array(request.tools.map { t in
                .object([("name", .string(t.name)), ("description", .string(t.description)), ("input_schema", t.parameters)])
            })))
            if request.requireToolCall { fields.append(("tool_choice", .object([("type", .string("any"))]))) }
        }
        fields.append(("messages", .array(messages(request.messages, mode: mode))))
        return .object(fields)
    }

    func messages(_ messages: [Message], mode: ToolCallMode) -> [JSON] {
        if mode == .json {
            return JSONToolMode.plainMessages(messages).map { .object([("role", .string($0.role)), ("content", .string($0.text))]) }
        }
        return messages.map { m in
            switch m {
            case .user(let text):
                return .object([("role", .string("user")), ("content", .string(text))])
            case .assistant(let text, let calls):
                var blocks: [JSON] = []
                if !text.isEmpty { blocks.append(.object([("type", .string("text")), ("text", .string(text))])) }
                for c in calls {
                    blocks.append(.object([("type", .string("tool_use")), ("id", .string(c.id)), ("name", .string(c.name)),
                                           ("input", c.arguments)]))
                }
                if blocks.isEmpty { blocks.append(.object([("type", .string("text")), ("text", .string("(no answer)"))])) }
                return .object([("role", .string("assistant")), ("content", .array(blocks))])
            case .toolResults(let results):
                return .object([("role", .string("user")), ("content", .array(results.map { r in
                    var f: [(String, JSON)] = [("type", .string("tool_result")), ("tool_use_id", .string(r.callID)),
                                               ("content", .string(r.content))]
                    if r.isError { f.append(("is_error", .bool(true))) }
                    return .object(f)
                }))])
            }
        }
    }

    func decode(_ body: JSON) throws(LLMError) -> ModelTurn {
        guard let content = body["content"]?.arrayValue else { throw malformed("no \"content\" array in the message") }
        var turn = ModelTurn(stopReason: body["stop_reason"]?.stringValue)
        for block in content {
            switch block["type"]?.stringValue {
            case "text": turn.text += block["text"]?.stringValue ?? ""
            case "tool_use":
                guard let id = block["id"]?.stringValue, let name = block["name"]?.stringValue else {
                    throw malformed("a tool_use block lacks its id or name")
                }
                turn.calls.append(ToolCall(id: id, name: name, arguments: block["input"] ?? .object([])))
            default: break
            }
        }
        turn.usage = Usage(input: body["usage"]?["input_tokens"]?.intValue ?? 0, output: body["usage"]?["output_tokens"]?.intValue ?? 0)
        return turn
    }

    func errorMessage(_ body: JSON) -> String? {
        guard let e = body["error"] else { return nil }
        let type = e["type"]?.stringValue
        let message = e["message"]?.stringValue ?? e.stringValue
        return [type, message].compactMap { $0 }.joined(separator: ": ")
    }

    func makeStreamDecoder() -> any StreamDecoder { AnthropicStream(format: self) }
}

/// Builds a turn from `message_start`, `content_block_*`, `message_delta` and `message_stop`.
final class AnthropicStream: StreamDecoder {
    let format: AnthropicFormat
    var blocks: [Int: (type: String, text: String, id: String, name: String, json: String)] = [:]
    var order: [Int] = []
    var usage = Usage()
    var stopReason: String?
    var stopped = false

    init(format: AnthropicFormat) { self.format = format }

    func consume(event: String?, data: String) throws(LLMError) {
        let obj = try format.parseObject(data)
        let type = obj["type"]?.stringValue ?? event ?? ""
        switch type {
        case "message_start":
            usage.input = obj["message"]?["usage"]?["input_tokens"]?.intValue ?? 0
            usage.output = obj["message"]?["usage"]?["output_tokens"]?.intValue ?? 0
        case "content_block_start":
            guard let index = obj["index"]?.intValue, let block = obj["content_block"] else {
                throw format.malformed("content_block_start without index or content_block")
            }
            let t = block["type"]?.stringValue ?? "text"
            blocks[index] = (t, block["text"]?.stringValue ?? "", block["id"]?.stringValue ?? "", block["name"]?.stringValue ?? "", "")
            order.append(index)
        case "content_block_delta":
            guard let index = obj["index"]?.intValue, var b = blocks[index], let delta = obj["delta"] else {
                throw format.malformed("content_block_delta for a block that never started")
            }
            switch delta["type"]?.stringValue {
            case "text_delta": b.text += delta["text"]?.stringValue ?? ""
            case "input_json_delta": b.json += delta["partial_json"]?.stringValue ?? ""
            default: break  // thinking and signature deltas carry nothing the loop uses
            }
            blocks[index] = b
        case "message_delta":
            if let r = obj["delta"]?["stop_reason"]?.stringValue { stopReason = r }
            if let out = obj["usage"]?["output_tokens"]?.intValue { usage.output = out }
            if let inp = obj["usage"]?["input_tokens"]?.intValue, inp > 0 { usage.input = inp }
        case "message_stop": stopped = true
        case "error":
            let message = format.errorMessage(obj) ?? data
            let overloaded = obj["error"]?["type"]?.stringValue == "overloaded_error"
            throw .http(provider: format.name, status: overloaded ? 529 : 500, message: "error event in the stream: \(message)")
        default: break  // ping, content_block_stop
        }
    }

    func finish() throws(LLMError) -> ModelTurn {
        guard stopped else { throw format.malformed("the stream ended before message_stop") }
        var turn = ModelTurn(stopReason: stopReason, usage: usage)
        for index in order {
            guard let b = blocks[index] else { continue }
            if b.type == "text" { turn.text += b.text }
            if b.type == "tool_use" {
                turn.calls.append(ToolCall(id: b.id, name: b.name, arguments: try parseArguments(b.json, provider: format.name, tool: b.name)))
            }
        }
        return turn
    }
}
