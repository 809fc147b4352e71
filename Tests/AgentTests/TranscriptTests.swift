import JSONCore
import LLM
import Testing
import TestSupport
@testable import Agent

/// `Transcript.rebuild`: the conversation of a step read back from the run's events, as a worker that takes a
/// run over after a crash sees it. The events are written with `Transcript.responseFields`, as the loop does.
@Suite(.ownThread) struct TranscriptTests {
    func response(step: Int, turn: Int, text: String, calls: [ToolCall]) -> JSON {
        let answer = ModelTurn(text: text, calls: calls, stopReason: calls.isEmpty ? "end_turn" : "tool_use",
                               usage: Usage(input: 10, output: 5))
        return .object([("type", .string("llm.response"))]
                       + Transcript.responseFields(step: step, turn: turn, answer: answer, tokens: 15 * turn, duration: 0.25))
    }

    func result(step: Int, id: String, name: String, ok: Bool, content: String) -> JSON {
        .object([("type", .string("tool.result")), ("step", .int(step)), ("id", .string(id)), ("name", .string(name)),
                 ("ok", .bool(ok)), ("content", .string(content))])
    }

    let write = ToolCall(id: "c1", name: "write_file", arguments: .object([("path", .string("a.md")), ("content", .string("x"))]))
    let read = ToolCall(id: "c2", name: "read_file", arguments: .object([("path", .string("b.md"))]), signature: "sig-2")

    @Test func aFinishedExchangeComesBackMessageForMessage() {
        let history = [
            response(step: 1, turn: 1, text: "Writing.", calls: [write, read]),
            result(step: 1, id: "c1", name: "write_file", ok: true, content: "wrote 1 byte"),
            result(step: 1, id: "c2", name: "read_file", ok: false, content: "no such file"),
            response(step: 1, turn: 2, text: "Done.", calls: []),
        ]
        let t = Transcript.rebuild(step: 1, prompt: "Write a.md", history: history)
        #expect(t.messages == [
            .user("Write a.md"),
            .assistant(text: "Writing.", calls: [write, read]),
            .toolResults([ToolResult(callID: "c1", name: "write_file", content: "wrote 1 byte", isError: false),
                          ToolResult(callID: "c2", name: "read_file", content: "no such file", isError: true)]),
            .assistant(text: "Done.", calls: []),
        ])
        #expect(t.turns == 2)
        #expect(t.interruptedCalls == 0)
    }

    @Test func aCallWithoutAResultGetsAnErrorResult() throws {
        let history = [
            response(step: 2, turn: 1, text: "", calls: [write, read]),
            result(step: 2, id: "c2", name: "read_file", ok: true, content: "b"),
        ]
        let t = Transcript.rebuild(step: 2, prompt: "p", history: history)
        #expect(t.interruptedCalls == 1)
        guard case .toolResults(let results)? = t.messages.last else {
            Issue.record("the last message should be the tool results, got \(t.messages)")
            return
        }
        #expect(results.map(\.callID) == ["c1", "c2"], "results follow the calls' order")
        let missing = try #require(results.first)
        #expect(missing.isError && missing.content.contains("interrupted"))
        #expect(results[1] == ToolResult(callID: "c2", name: "read_file", content: "b", isError: false))
    }

    @Test func otherStepsAndOtherEventsAreLeftOut() {
        let history: [JSON] = [
            response(step: 1, turn: 1, text: "step one", calls: []),
            .object([("type", .string("step.output")), ("step", .int(2)), ("text", .string("noise"))]),
            response(step: 2, turn: 1, text: "step two", calls: []),
            response(step: 3, turn: 1, text: "step three", calls: []),
        ]
        let t = Transcript.rebuild(step: 2, prompt: "p", history: history)
        #expect(t.messages == [.user("p"), .assistant(text: "step two", calls: [])])
        #expect(t.turns == 1)
    }

    @Test func aRequeuedStepContinuesItsTurnCount() {
        // Two attempts of the same step: the second attempt's turns continue after the first's.
        let history = [
            response(step: 1, turn: 1, text: "a", calls: []),
            response(step: 1, turn: 2, text: "b", calls: []),
            response(step: 1, turn: 3, text: "c", calls: []),
        ]
        let t = Transcript.rebuild(step: 1, prompt: "p", history: history)
        #expect(t.turns == 3)
        #expect(t.messages.count == 4)
    }

    @Test func noEventsIsJustThePrompt() {
        let t = Transcript.rebuild(step: 1, prompt: "hello", history: [])
        #expect(t.messages == [.user("hello")])
        #expect(t.turns == 0 && t.interruptedCalls == 0)
    }

    @Test func responseFieldsCarryTheAnswerAndItsCost() {
        let answer = ModelTurn(text: "hi", calls: [read], stopReason: "tool_use", usage: Usage(input: 7, output: 3))
        let e = JSON.object(Transcript.responseFields(step: 4, turn: 2, answer: answer, tokens: 99, duration: 1.5))
        #expect(e["step"]?.intValue == 4 && e["turn"]?.intValue == 2 && e["text"]?.stringValue == "hi")
        #expect(e["usage"]?["input"]?.intValue == 7 && e["usage"]?["output"]?.intValue == 3)
        #expect(e["run_tokens"]?.intValue == 99 && e["duration_ms"]?.intValue == 1500)
        #expect(e["stop_reason"]?.stringValue == "tool_use")
        #expect(e["tool_calls"]?.arrayValue?.first?["signature"]?.stringValue == "sig-2")
    }
}
