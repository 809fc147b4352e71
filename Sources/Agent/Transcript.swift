import JSONCore
import LLM
import RunEvents

/// The conversation of one agent step, rebuilt from the run's events, so that a run taken over after a crash
/// continues where it was instead of starting over.
struct Transcript {
    var messages: [Message] = []
    var turns = 0
    /// Tool calls whose result was never logged (the worker died mid-call); they get an error result.
    var interruptedCalls = 0

    static func rebuild(step: Int, prompt: String, history: [JSON]) -> Transcript {
        var t = Transcript()
        t.messages = [.user(prompt)]
        var pending: [ToolCall] = []
        var results: [String: ToolResult] = [:]
        func flush() {
            guard !pending.isEmpty else { return }
            var out: [ToolResult] = []
            for c in pending {
                if let r = results[c.id] { out.append(r) } else {
                    t.interruptedCalls += 1
                    out.append(ToolResult(callID: c.id, name: c.name, content: "the run was interrupted before this tool call finished; "
                                          + "check the workspace before relying on its effect", isError: true))
                }
            }
            t.messages.append(.toolResults(out))
            pending = []
            results = [:]
        }
        // Every attempt's events of this step, in order: a step resumed after a requeue continues its turns.
        for e in history where e["step"]?.intValue == step {
            switch e["type"]?.stringValue.flatMap(EventType.init(rawValue:)) {
            case .llmResponse?:
                flush()
                let r = EventType.LLMResponse(json: e)
                var calls: [ToolCall] = []
                for c in r.toolCalls {
                    calls.append(ToolCall(id: c["id"]?.stringValue ?? "", name: c["name"]?.stringValue ?? "", arguments: c["arguments"] ?? .object([]),
                                          signature: c["signature"]?.stringValue))
                }
                t.messages.append(.assistant(text: r.text ?? "", calls: calls))
                t.turns = max(t.turns, r.turn ?? t.turns + 1)
                pending = calls
            case .toolResult?:
                let r = EventType.ToolResult(json: e)
                if let id = r.id {
                    results[id] = ToolResult(callID: id, name: r.name ?? "", content: r.content ?? "", isError: r.ok == false)
                }
            default: break
            }
        }
        flush()
        return t
    }

    static func responseFields(step: Int, turn: Int, answer: ModelTurn, tokens: Int, duration: Double) -> [(String, JSON)] {
        var f: [(String, JSON)] = [("step", .int(step)), ("turn", .int(turn)), ("text", .string(answer.text))]
        f.append(("tool_calls", .array(answer.calls.map { c in
            var fields: [(String, JSON)] = [("id", .string(c.id)), ("name", .string(c.name)), ("arguments", c.arguments)]
            if let s = c.signature { fields.append(("signature", .string(s))) }
            return .object(fields)
        })))
        if let r = answer.stopReason { f.append(("stop_reason", .string(r))) }
        f.append(("usage", .object([("input", .int(answer.usage.input)), ("output", .int(answer.usage.output))])))
        f.append(("run_tokens", .int(tokens)))
        f.append(("duration_ms", .int(Int(duration * 1000))))
        return f
    }
}
