import JSONCore

/// Replays the turns written in the job. The turn to answer is the number of assistant messages already in the
/// conversation, so a run resumed from its events continues where it left off.
struct ScriptedProvider: LLMProvider {
    let turns: [ScriptedTurn]
    let name = "scripted"

    func complete(_ request: ChatRequest, notify: @escaping @Sendable (ProviderNotice) -> Void) async throws(LLMError) -> ModelTurn {
        if Task.isCancelled { throw .cancelled }
        let index = request.messages.filter { if case .assistant = $0 { return true }; return false }.count
        guard index < turns.count else {
            return ModelTurn(text: "(the script has no more turns)", stopReason: "end_of_script", usage: Usage())
        }
        let t = turns[index]
        var turn = ModelTurn(text: t.say ?? "", stopReason: t.tool == nil ? "end_turn" : "tool_use")
        if let tool = t.tool { turn.calls = [ToolCall(id: "script_\(index + 1)", name: tool, arguments: t.args)] }
        // Rough counts (four bytes a token) unless the script says, so budgets behave as with a real model.
        let input = request.messages.reduce(request.system?.utf8.count ?? 0) { $0 + Self.size($1) } / 4
        let output = ((t.say?.utf8.count ?? 0) + t.args.text.utf8.count) / 4
        if let tokens = t.tokens { turn.usage = Usage(input: tokens / 2, output: tokens - tokens / 2) }
        else { turn.usage = Usage(input: input, output: max(1, output)) }
        return turn
    }

    static func size(_ m: Message) -> Int {
        switch m {
        case .user(let t): return t.utf8.count
        case .assistant(let t, let calls): return t.utf8.count + calls.reduce(0) { $0 + $1.arguments.text.utf8.count }
        case .toolResults(let rs): return rs.reduce(0) { $0 + $1.content.utf8.count }
        }
    }
}
