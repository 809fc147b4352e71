import JSONCore

/// OpenAI-compatible chat completions: `POST /v1/chat/completions` (OpenAI, llama.cpp, vLLM, LM Studio, …).
struct OpenAIFormat: WireFormat {
    let name = "openai"
    let framing = StreamFraming.sse
    /// `response_format` as `json_object` with a `schema` (llama-cpp-python) instead of `json_schema`.
    var jsonObjectFormat = false

    func path(model: String, stream: Bool) -> String { "/v1/chat/completions" }

    func headers(apiKey: String?) -> [(String, String)] {
        var h = [("content-type", "application/json")]
        if let apiKey { h.append(("authorization", "Bearer \(apiKey)")) }
        return h
    }

    func body(_ request: ChatRequest, mode: ToolCallMode, stream: Bool) -> JSON {
        var fields: [(String, JSON)] = [("model", .string(request.model)), ("stream", .bool(stream))]
        if stream { fields.append(("stream_options", .object([("include_usage", .bool(true))]))) }
        fields.append(("max_tokens", .int(request.maxOutputTokens)))
        var msgs: [JSON] = []
        let system = mode == .json ? JSONToolMode.system(request.system, tools: request.tools) : request.system
        if let system { msgs.append(.object([("role", .string("system")), ("content", .string(system))])) }
        if mode == .json {
            msgs += JSONToolMode.plainMessages(request.messages).map { .object([("role", .string($0.role)), ("content", .string($0.text))]) }
            fields.append(("messages", .array(msgs)))
            let schema = JSONToolMode.schema(request.tools, allowFinish: request.messages.hasToolResults)
            fields.append(("response_format", jsonObjectFormat
                ? .object([("type", .string("json_object")), ("schema", schema)])
                : .object([("type", .string("json_schema")), ("json_schema", .object([
                    ("name", .string("tool_call")), ("strict", .bool(true)), ("schema", schema),
                ]))])))
            return .object(fields)
        }
        for m in request.messages {
            switch m {
            case .user(let text): msgs.append(.object([("role", .string("user")), ("content", .string(text))]))
            case .assistant(let text, let calls):
                // Some servers reject `"content": null`, so an empty answer is sent as "".
                var f: [(String, JSON)] = [("role", .string("assistant")), ("content", .string(text))]
                if !calls.isEmpty {
                    f.append(("tool_calls", .array(calls.map { c in
                        .object([("id", .string(c.id)), ("type", .string("function")),
                                 ("function", .object([("name", .string(c.name)), ("arguments", .string(c.arguments.text))]))])
                    })))
                }
                msgs.append(.object(f))
            case .toolResults(let results):
                for r in results {
                    msgs.append(.object([("role", .string("tool")), ("tool_call_id", .string(r.callID)), ("content", .string(r.content))]))
                }
            }
        }
        fields.append(("messages", .array(msgs)))
        if !request.tools.isEmpty {
            fields.append(("tools", ToolDefinition.functionTools(request.tools)))
            if request.requireToolCall { fields.append(("tool_choice", .string("required"))) }
        }
        return .object(fields)
    }

    func decode(_ body: JSON) throws(LLMError) -> ModelTurn {
        guard let choice = body["choices"]?.arrayValue?.first, let message = choice["message"] else {
            throw malformed("no choices[0].message in the completion")
        }
        var turn = ModelTurn(text: message["content"]?.stringValue ?? "", stopReason: choice["finish_reason"]?.stringValue)
        for call in message["tool_calls"]?.arrayValue ?? [] {
            guard let fn = call["function"], let name = fn["name"]?.stringValue else { throw malformed("a tool call lacks function.name") }
            let args: JSON
            if let s = fn["arguments"]?.stringValue { args = try parseArguments(s, provider: self.name, tool: name) }
            else { args = fn["arguments"] ?? .object([]) }
            turn.calls.append(ToolCall(id: call["id"]?.stringValue ?? "call_\(turn.calls.count + 1)", name: name, arguments: args))
        }
        turn.usage = Usage(input: body["usage"]?["prompt_tokens"]?.intValue ?? 0, output: body["usage"]?["completion_tokens"]?.intValue ?? 0)
        return turn
    }

    func errorMessage(_ body: JSON) -> String? {
        if let m = body["error"]?["message"]?.stringValue { return m }
        return body["error"]?.stringValue ?? body["message"]?.stringValue
    }

    func makeStreamDecoder() -> any StreamDecoder { OpenAIStream(format: self) }
}

/// Joins `delta.content` and the per-index `tool_calls` pieces; the stream must end with `[DONE]`.
final class OpenAIStream: StreamDecoder {
    let format: OpenAIFormat
    var text = ""
    var calls: [Int: (id: String, name: String, args: String)] = [:]
    var finishReason: String?
    var usage = Usage()
    var done = false

    init(format: OpenAIFormat) { self.format = format }

    func consume(event: String?, data: String) throws(LLMError) {
        if data.trimmingCharacters(in: .whitespaces) == "[DONE]" { done = true; return }
        let obj = try format.parseObject(data)
        if let e = obj["error"] { throw .http(provider: format.name, status: 500, message: "error in the stream: \(format.errorMessage(.object([("error", e)])) ?? data)") }
        if let u = obj["usage"], case .object = u {
            usage = Usage(input: u["prompt_tokens"]?.intValue ?? 0, output: u["completion_tokens"]?.intValue ?? 0)
        }
        for choice in obj["choices"]?.arrayValue ?? [] {
            if let r = choice["finish_reason"]?.stringValue { finishReason = r }
            guard let delta = choice["delta"] else { continue }
            if let t = delta["content"]?.stringValue { text += t }
            for piece in delta["tool_calls"]?.arrayValue ?? [] {
                let index = piece["index"]?.intValue ?? calls.count
                var c = calls[index] ?? ("", "", "")
                if let id = piece["id"]?.stringValue { c.id = id }
                if let n = piece["function"]?["name"]?.stringValue { c.name += n }
                if let a = piece["function"]?["arguments"]?.stringValue { c.args += a }
                calls[index] = c
            }
        }
    }

    func finish() throws(LLMError) -> ModelTurn {
        guard done || finishReason != nil else { throw format.malformed("the stream ended before [DONE]") }
        var turn = ModelTurn(text: text, stopReason: finishReason, usage: usage)
        for index in calls.keys.sorted() {
            let c = calls[index]!
            guard !c.name.isEmpty else { throw format.malformed("tool call \(index) has no function name") }
            turn.calls.append(ToolCall(id: c.id.isEmpty ? "call_\(index + 1)" : c.id, name: c.name,
                                       arguments: try parseArguments(c.args, provider: format.name, tool: c.name)))
        }
        return turn
    }
}
