import JSONCore

/// Google Gemini: `generateContent`, and `streamGenerateContent?alt=sse` whose every event is a whole response chunk.
struct GeminiFormat: WireFormat {
    let name = "gemini"
    let framing = StreamFraming.sse

    func path(model: String, stream: Bool) -> String {
        let m = model.addingPercentEncodingForPath()
        return stream ? "/v1beta/models/\(m):streamGenerateContent?alt=sse" : "/v1beta/models/\(m):generateContent"
    }

    func headers(apiKey: String?) -> [(String, String)] {
        var h = [("content-type", "application/json")]
        if let apiKey { h.append(("x-goog-api-key", apiKey)) }
        return h
    }

    func body(_ request: ChatRequest, mode: ToolCallMode, stream: Bool) -> JSON {
        var fields: [(String, JSON)] = []
        let system = mode == .json ? JSONToolMode.system(request.system, tools: request.tools) : request.system
        if let system { fields.append(("systemInstruction", .object([("parts", .array([.object([("text", .string(system))])]))]))) }
        var contents: [JSON] = []
        func text(_ role: String, _ t: String) -> JSON {
            .object([("role", .string(role)), ("parts", .array([.object([("text", .string(t))])]))])
        }
        if mode == .json {
            contents = JSONToolMode.plainMessages(request.messages).map { text($0.role == "assistant" ? "model" : "user", $0.text) }
        } else {
            for m in request.messages {
                switch m {
                case .user(let t): contents.append(text("user", t))
                case .assistant(let t, let calls):
                    var parts: [JSON] = []
                    if !t.isEmpty { parts.append(.object([("text", .string(t))])) }
                    for c in calls {
                        var part: [(String, JSON)] = [("functionCall", .object([("name", .string(c.name)), ("args", c.arguments)]))]
                        if let s = c.signature { part.append(("thoughtSignature", .string(s))) }
                        parts.append(.object(part))
                    }
                    if parts.isEmpty { parts.append(.object([("text", .string("(no answer)"))])) }
                    contents.append(.object([("role", .string("model")), ("parts", .array(parts))]))
                case .toolResults(let results):
                    contents.append(.object([("role", .string("user")), ("parts", .array(results.map { r in
                        .object([("functionResponse", .object([("name", .string(r.name)), ("response", .object([
                            (r.isError ? "error" : "result", .string(r.content)),
                        ]))]))])
                    }))]))
                }
            }
        }
        fields.append(("contents", .array(contents)))
        if mode == .native && !request.tools.isEmpty {
            fields.append(("tools", .array([.object([("functionDeclarations", .array(request.tools.map { t in
                .object([("name", .string(t.name)), ("description", .string(t.description)), ("parameters", t.parameters)])
            }))])])))
            if request.requireToolCall {
                fields.append(("toolConfig", .object([("functionCallingConfig", .object([("mode", .string("ANY"))]))])))
            }
        }
        var generation: [(String, JSON)] = [("maxOutputTokens", .int(request.maxOutputTokens))]
        if mode == .json {
            generation.append(("responseMimeType", .string("application/json")))
            generation.append(("responseSchema", JSONToolMode.schema(request.tools, openAPISubset: true)))
        }
        fields.append(("generationConfig", .object(generation)))
        return .object(fields)
    }

    func decode(_ body: JSON) throws(LLMError) -> ModelTurn {
        var acc = GeminiStream(format: self)
        acc.add(body)
        guard acc.sawCandidate else { throw malformed("no candidates in the response") }
        acc.ended = true
        return try acc.finish()
    }

    func errorMessage(_ body: JSON) -> String? {
        guard let e = body["error"] else { return nil }
        return [e["status"]?.stringValue, e["message"]?.stringValue].compactMap { $0 }.joined(separator: ": ")
    }

    func makeStreamDecoder() -> any StreamDecoder { GeminiStream(format: self) }
}

/// Each chunk is a GenerateContentResponse; parts are concatenated and the last usage wins. The stream has no
/// end marker, so a chunk with a `finishReason` is what proves it was not cut short.
final class GeminiStream: StreamDecoder {
    let format: GeminiFormat
    var turn = ModelTurn()
    var sawCandidate = false
    var ended = false

    init(format: GeminiFormat) { self.format = format }

    func consume(event: String?, data: String) throws(LLMError) {
        let obj = try format.parseObject(data)
        if let e = obj["error"] {
            throw .http(provider: format.name, status: e["code"]?.intValue ?? 500, message: format.errorMessage(obj) ?? data)
        }
        add(obj)
    }

    func add(_ obj: JSON) {
        if let c = obj["candidates"]?.arrayValue?.first {
            sawCandidate = true
            for part in c["content"]?["parts"]?.arrayValue ?? [] {
                if let t = part["text"]?.stringValue, part["thought"]?.boolValue != true { turn.text += t }
                if let fc = part["functionCall"], let name = fc["name"]?.stringValue {
                    turn.calls.append(ToolCall(id: fc["id"]?.stringValue ?? "call_\(turn.calls.count + 1)", name: name,
                                               arguments: fc["args"] ?? .object([]), signature: part["thoughtSignature"]?.stringValue))
                }
            }
            if let r = c["finishReason"]?.stringValue { turn.stopReason = r; ended = true }
        }
        if let u = obj["usageMetadata"] {
            turn.usage = Usage(input: u["promptTokenCount"]?.intValue ?? 0, output: u["candidatesTokenCount"]?.intValue ?? 0)
        }
    }

    func finish() throws(LLMError) -> ModelTurn {
        guard ended else { throw format.malformed("the stream ended before a candidate with a finishReason") }
        return turn
    }
}

extension String {
    func addingPercentEncodingForPath() -> String {
        var out = ""
        for b in utf8 {
            let c = Character(UnicodeScalar(b))
            if c.isLetter && b < 0x80 || c.isNumber && b < 0x80 || "-._~".contains(c) { out.append(c) }
            else { out += String(format: "%%%02X", b) }
        }
        return out
    }
}
