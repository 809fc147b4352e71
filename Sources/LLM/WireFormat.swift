import HTTPClient
import JSONCore

/// One provider's request and response shapes. `HTTPProvider` does the transport around it.
protocol WireFormat: Sendable {
    var name: String { get }
    var framing: StreamFraming { get }
    /// Path (and query) under the base URL.
    func path(model: String, stream: Bool) -> String
    /// Auth and version headers. The key only ever goes here.
    func headers(apiKey: String?) -> [(String, String)]
    func body(_ request: ChatRequest, mode: ToolCallMode, stream: Bool) -> JSON
    /// A whole (non-streamed) response.
    func decode(_ body: JSON) throws(LLMError) -> ModelTurn
    func makeStreamDecoder() -> any StreamDecoder
    /// The server's own message from an error body, if it has the documented shape.
    func errorMessage(_ body: JSON) -> String?
}

enum StreamFraming: Sendable { case sse, ndjson }

/// Accumulates a streamed answer. `finish` throws when the stream ended before the provider's end marker.
protocol StreamDecoder: AnyObject {
    /// One SSE event (`event` may be nil) or one NDJSON line (`event` is nil).
    func consume(event: String?, data: String) throws(LLMError)
    func finish() throws(LLMError) -> ModelTurn
}

extension WireFormat {
    func malformed(_ message: String) -> LLMError { .malformed(provider: name, message: message) }

    func parseObject(_ text: String) throws(LLMError) -> JSON {
        guard let value = JSON.parse(Array(text.utf8)), case .object = value else {
            throw malformed("expected a JSON object, got \(Self.excerpt(text))")
        }
        return value
    }

    static func excerpt(_ text: String) -> String {
        text.count > 200 ? "\"\(text.prefix(200))…\"" : "\"\(text)\""
    }
}

/// Tool arguments that arrive as a JSON string (OpenAI, Anthropic's streamed `partial_json`).
func parseArguments(_ text: String, provider: String, tool: String) throws(LLMError) -> JSON {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.isEmpty { return .object([]) }
    guard let value = JSON.parse(Array(trimmed.utf8)) else {
        throw .malformed(provider: provider, message: "the arguments of tool call \"\(tool)\" are not valid JSON: \(trimmed.prefix(200))")
    }
    return value
}

extension JSON {
    var objectFields: [(String, JSON)]? { if case .object(let f) = self { return f }; return nil }
    /// Compact JSON text.
    var text: String { String(decoding: encoded(), as: UTF8.self) }
}

extension ToolDefinition {
    /// Tools in the `{"type": "function", "function": {…}}` shape that OpenAI and Ollama share.
    static func functionTools(_ tools: [ToolDefinition]) -> JSON {
        .array(tools.map { t in
            .object([("type", .string("function")), ("function", .object([
                ("name", .string(t.name)), ("description", .string(t.description)), ("parameters", t.parameters),
            ]))])
        })
    }
}
