import JSONCore

/// Tool calls for models without native tool support: the tools are described in the system prompt, and the
/// model answers every turn with one JSON object, `{"name": TOOL, "arguments": {…}}`, or
/// `{"name": "finish", "arguments": {"message": …}}` when it is done. Where the server can, the answer is
/// constrained by `schema(_:)` (OpenAI `response_format`, Ollama `format`, Gemini `responseSchema`).
public enum JSONToolMode {
    public static let finish = "finish"

    static func system(_ base: String?, tools: [ToolDefinition]) -> String {
        var s = base.map { $0 + "\n\n" } ?? ""
        s += "You act by calling tools. Answer every turn with exactly one JSON object and nothing else:\n"
        s += "{\"name\": \"<tool>\", \"arguments\": {...}}\n"
        s += "When the task is done, answer {\"name\": \"finish\", \"arguments\": {\"message\": \"<summary>\"}}.\n\nTools:\n"
        for t in tools {
            s += "- \(t.name): \(t.description) Arguments schema: \(t.parameters.text)\n"
        }
        return s
    }

    static func schema(_ tools: [ToolDefinition], openAPISubset: Bool = false) -> JSON {
        let names: [JSON] = (tools.map(\.name) + [finish]).map { .string($0) }
        let nameSchema: JSON = openAPISubset ? .object([("type", .string("string")), ("enum", .array(names))]) : .object([("enum", .array(names))])
        var fields: [(String, JSON)] = [("type", .string("object")), ("properties", .object([
            ("name", nameSchema), ("arguments", .object([("type", .string("object"))])),
        ])), ("required", .array([.string("name"), .string("arguments")]))]
        if openAPISubset { fields.removeAll { $0.0 == "additionalProperties" } }
        return .object(fields)
    }

    /// The conversation as plain user/assistant text: calls become their JSON, results become user text.
    static func plainMessages(_ messages: [Message]) -> [(role: String, text: String)] {
        var out: [(role: String, text: String)] = []
        for m in messages {
            switch m {
            case .user(let t): out.append(("user", t))
            case .assistant(let text, let calls):
                if let c = calls.first {
                    out.append(("assistant", JSON.object([("name", .string(c.name)), ("arguments", c.arguments)]).text))
                } else {
                    out.append(("assistant", text.isEmpty ? "{\"name\":\"finish\",\"arguments\":{}}" : text))
                }
            case .toolResults(let results):
                let body = results.map { r in
                    "Result of \(r.name)\(r.isError ? " (error)" : ""):\n\(r.content)"
                }.joined(separator: "\n\n")
                out.append(("user", body + "\n\nAnswer with the next JSON tool call, or finish."))
            }
        }
        return out
    }

    /// Reads a model's JSON answer back into a tool call. Text that is not such an object is a final answer.
    static func interpret(_ turn: ModelTurn, callNumber: Int) -> ModelTurn {
        guard turn.calls.isEmpty else { return turn }
        let text = turn.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let start = text.firstIndex(of: "{"), let end = text.lastIndex(of: "}"),
              let obj = JSON.parse(Array(text[start...end].utf8)), let name = obj["name"]?.stringValue else { return turn }
        var out = turn
        let args = obj["arguments"] ?? .object([])
        if name == finish {
            out.text = args["message"]?.stringValue ?? ""
            return out
        }
        out.text = ""
        out.calls = [ToolCall(id: "json_\(callNumber)", name: name, arguments: args)]
        return out
    }
}
