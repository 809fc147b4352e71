import AgentTools
import Foundation
import JobSpec
import JSONCore
import LLM
import ProcessRunner
import RunEvents

/// What the agent loop needs from the run around it. The worker supplies these; tests can too.
public struct AgentHost: Sendable {
    /// Appends an event; false means the run can no longer be logged (or was lost) and the loop must end.
    public var emit: @Sendable (EventType, [(String, JSON)]) -> Bool
    /// The run's control now (read afresh): after a request was cancelled, it says why.
    public var control: @Sendable () -> AgentControl
    /// The run's control now, then each change, until the waiting task is cancelled: awaited between turns
    /// and while a request is in flight.
    public var controlChanges: @Sendable () -> AsyncStream<AgentControl>
    /// Called after every turn that ran tools, so file changes can be committed per turn.
    public var afterTurn: @Sendable (_ turn: Int, _ summary: String) async -> Void

    public init(emit: @escaping @Sendable (EventType, [(String, JSON)]) -> Bool, control: @escaping @Sendable () -> AgentControl,
                controlChanges: @escaping @Sendable () -> AsyncStream<AgentControl>,
                afterTurn: @escaping @Sendable (Int, String) async -> Void) {
        self.emit = emit
        self.control = control
        self.controlChanges = controlChanges
        self.afterTurn = afterTurn
    }
}

public enum AgentControl: Sendable { case proceed, pause, stop, shutdown, gone }

public enum AgentOutcome: Sendable, Equatable {
    case succeeded(String)
    case failed(String)
    case stopped
    case shutdown
    /// The run was lost or its log failed; nothing more may be written.
    case gone
}

/// One agent step: the LLM tool loop, with every message, call and result as an event.
public struct AgentLoop: Sendable {
    public var step: Int
    public var spec: AgentSpec
    public var resolved: ProviderFactory.Resolved
    public var tools: ToolContext
    public var maxSteps: Int
    public var maxTokens: Int?
    /// Tokens this run used before this step (earlier steps and attempts).
    public var tokensBefore: Int
    public var deadline: Double?

    public init(step: Int, spec: AgentSpec, resolved: ProviderFactory.Resolved, tools: ToolContext, maxSteps: Int,
                maxTokens: Int?, tokensBefore: Int, deadline: Double?) {
        self.step = step
        self.spec = spec
        self.resolved = resolved
        self.tools = tools
        self.maxSteps = maxSteps
        self.maxTokens = maxTokens
        self.tokensBefore = tokensBefore
        self.deadline = deadline
    }

    var allowedTools: [String] { spec.tools ?? AgentSchema.defaultTools }

    public func run(history: [JSON], host: AgentHost) async -> AgentOutcome {
        let definitions = Toolbox.definitions(allowedTools).map { ToolDefinition(name: $0.name, description: $0.description, parameters: $0.parameters) }
        var replay = Transcript.rebuild(step: step, prompt: spec.prompt, history: history)
        var messages = replay.messages
        var tokens = tokensBefore
        var turn = replay.turns
        if replay.turns > 0, case .assistant(let text, let calls)? = messages.last, calls.isEmpty {
            // An earlier attempt finished this step; its commits are on the branch already.
            guard host.emit(.agentResumed, [("step", .int(step)), ("turns", .int(replay.turns)), ("already_finished", .bool(true))]) else { return .gone }
            return .succeeded(text)
        }
        if replay.turns > 0 {
            guard host.emit(.agentResumed, [("step", .int(step)), ("turns", .int(replay.turns)),
                                            ("interrupted_calls", .int(replay.interruptedCalls))]) else { return .gone }
        } else {
            guard host.emit(.agentStarted, [("step", .int(step)), ("provider", .string(resolved.provider.name)),
                                            ("model", .string(resolved.model)), ("tool_mode", .string(resolved.mode.rawValue)),
                                            ("tools", .array(allowedTools.map { .string($0) })), ("max_steps", .int(maxSteps)),
                                            ("prompt", .string(spec.prompt))]) else { return .gone }
        }
        replay = Transcript()
        while true {
            // Between turns: pause, stop, shutdown, limits.
            if let end = await holdWhilePaused(beforeTurn: turn + 1, host: host) { return end }
            if turn >= maxSteps { return .failed("the agent used all \(maxSteps) of its turns (max_steps) without finishing") }
            if let maxTokens, tokens >= maxTokens {
                return .failed("the run used \(tokens) tokens, reaching its budget of \(maxTokens) (max_tokens)")
            }
            if let deadline, monotonicSeconds() >= deadline { return .failed("the run timed out (job timeout)") }
            turn += 1

            var request = ChatRequest(model: resolved.model, system: spec.system, messages: messages, tools: definitions,
                                      maxOutputTokens: resolved.maxOutputTokens)
            request.requireToolCall = resolved.requireFirstToolCall && !messages.hasToolResults
            guard host.emit(.llmRequest, [("step", .int(step)), ("turn", .int(turn)), ("provider", .string(resolved.provider.name)),
                                          ("model", .string(resolved.model)), ("messages", .int(messages.count))]) else { return .gone }
            let started = monotonicSeconds()
            let answer: ModelTurn
            switch await ask(request, host: host) {
            case .success(let a): answer = a
            case .failure(.cancelled):
                switch host.control() {
                case .shutdown: return .shutdown
                case .gone: return .gone
                default: return .stopped
                }
            case .failure(let error):
                let message = Redaction.redact(error.description, resolved.secrets)
                var fields: [(String, JSON)] = [("step", .int(step)), ("turn", .int(turn)), ("provider", .string(resolved.provider.name))]
                if case .http(_, let status, _) = error { fields.append(("status", .int(status))) }
                fields.append(("message", .string(message)))
                _ = host.emit(.llmError, fields)
                return .failed(message)
            }
            tokens += answer.usage.total
            guard host.emit(.llmResponse, Transcript.responseFields(step: step, turn: turn, answer: answer, tokens: tokens,
                                                                    duration: monotonicSeconds() - started)) else { return .gone }
            messages.append(.assistant(text: answer.text, calls: answer.calls))
            if answer.calls.isEmpty {
                return .succeeded(answer.text)
            }
            var results: [ToolResult] = []
            for call in answer.calls {
                guard host.emit(.toolCall, [("step", .int(step)), ("turn", .int(turn)), ("id", .string(call.id)),
                                            ("name", .string(call.name)), ("arguments", call.arguments)]) else { return .gone }
                let out = await Toolbox.call(call.name, arguments: call.arguments, allowed: allowedTools, context: tools, callID: call.id)
                let content = Redaction.redact(out.content, resolved.secrets)
                var fields: [(String, JSON)] = [("step", .int(step)), ("turn", .int(turn)), ("id", .string(call.id)),
                                                ("name", .string(call.name)), ("ok", .bool(!out.isError)), ("content", .string(content))]
                if let full = out.full {
                    let name = "tool-\(step)-\(turn)-\(Toolbox.fileNamePart(call.id)).txt"
                    try? Data(Redaction.redact(full, resolved.secrets).utf8).write(to: URL(fileURLWithPath: tools.artifacts + "/" + name))
                    fields.append(("artifact", .string(name)))
                    fields.append(("bytes", .int(full.utf8.count)))
                }
                guard host.emit(.toolResult, fields) else { return .gone }
                results.append(ToolResult(callID: call.id, name: call.name, content: content, isError: out.isError))
            }
            messages.append(.toolResults(results))
            await host.afterTurn(turn, answer.text.isEmpty ? answer.calls.map(\.name).joined(separator: ", ") : answer.text)
        }
    }

    /// Holds the loop while the run is paused (`paused`/`resumed` with `before_turn`); nil means go on.
    func holdWhilePaused(beforeTurn: Int, host: AgentHost) async -> AgentOutcome? {
        let fields: [(String, JSON)] = [("step", .int(step)), ("before_turn", .int(beforeTurn))]
        var paused = false
        for await control in host.controlChanges() {
            switch control {
            case .gone: return .gone
            case .stop: return .stopped
            case .shutdown: return .shutdown
            case .pause:
                if !paused { guard host.emit(.paused, fields) else { return .gone } }
                paused = true
            case .proceed:
                if paused { guard host.emit(.resumed, fields) else { return .gone } }
                return nil
            }
        }
        // Only a cancelled task gets here.
        return host.control() == .shutdown ? .shutdown : .gone
    }

    /// Runs the request while watching for stop and shutdown, which cancel it (and with it the transfer).
    func ask(_ request: ChatRequest, host: AgentHost) async -> Result<ModelTurn, LLMError> {
        let provider = resolved.provider
        let step = self.step
        let deadline = self.deadline
        let providerName = provider.name
        return await withTaskGroup(of: Result<ModelTurn, LLMError>?.self) { group in
            group.addTask {
                do {
                    return .success(try await provider.complete(request) { notice in
                        if case .retry(let attempt, let status, let delay, let message) = notice {
                            var f: [(String, JSON)] = [("step", .int(step)), ("provider", .string(providerName)), ("attempt", .int(attempt))]
                            if let status { f.append(("status", .int(status))) }
                            f += [("delay_ms", .int(Int(delay * 1000))), ("message", .string(message))]
                            _ = host.emit(.llmRetry, f)
                        }
                    })
                } catch let e as LLMError { return .failure(e) } catch { return .failure(.cancelled) }
            }
            group.addTask {
                for await control in host.controlChanges() {
                    switch control {
                    case .stop, .shutdown, .gone: return .failure(.cancelled)
                    case .proceed, .pause: continue
                    }
                }
                return nil
            }
            if let deadline {
                group.addTask {
                    try? await Task.sleep(for: .seconds(max(0, deadline - monotonicSeconds())))
                    if Task.isCancelled { return nil }
                    return .failure(.unavailable(provider: providerName, message: "the job's timeout ran out while waiting for the model"))
                }
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(.cancelled)
        }
    }
}
