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

    /// The answer's schema. Where full JSON Schema is understood (llama.cpp turns it into a grammar), each tool's
    /// own argument schema is enforced, so even a tiny model produces calls the tool accepts; Gemini's
    /// OpenAPI subset gets the plain `{name, arguments}` shape.
    /// Before the first tool result, `finish` is not offered: a model this small would otherwise often end at once.
    public static func schema(_ tools: [ToolDefinition], openAPISubset: Bool = false, allowFinish: Bool = true) -> JSON {
        if openAPISubset {
            let names: [JSON] = (tools.map(\.name) + [finish]).map { .string($0) }
            return .object([("type", .string("object")), ("properties", .object([
                ("name", .object([("type", .string("string")), ("enum", .array(names))])), ("arguments", .object([("type", .string("object"))])),
            ])), ("required", .array([.string("name"), .string("arguments")]))])
        }
        let finishArgs = JSON.object([("type", .string("object")), ("properties", .object([("message", .object([("type", .string("string"))]))])),
                                      ("required", .array([.string("message")]))])
        let choices = tools.map { ($0.name, relativePaths($0.parameters)) } + (allowFinish || tools.isEmpty ? [(finish, finishArgs)] : [])
        return .object([("anyOf", .array(choices.map { name, args in
            .object([("type", .string("object")), ("properties", .object([
                ("name", .object([("const", .string(name))])), ("arguments", args),
            ])), ("required", .array([.string("name"), .string("arguments")]))])
        }))])
    }

    /// Tool paths are relative to the workspace; saying so in the grammar keeps a small model from inventing
    /// absolute paths that the tools would refuse.
    static func relativePaths(_ schema: JSON) -> JSON {
        guard case .object(var fields) = schema, let i = fields.firstIndex(where: { $0.0 == "properties" }),
              case .object(var props) = fields[i].1, let p = props.firstIndex(where: { $0.0 == "path" }),
              case .object(var path) = props[p].1 else { return schema }
        path.append(("pattern", .string("^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")))
        props[p].1 = .object(path)
        fields[i].1 = .object(props)
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
