import Agent
import AgentTools
import Foundation
import JobSpec
import LLM
import SpoolCore

/// An `agent:` step: resolves the provider, rebuilds the conversation from the run's events (so a run taken
/// over after a crash continues), hands the loop the run's control, and maps the loop's outcome onto a step's.
struct AgentStep: StepKind {
    let options: WorkerOptions
    let ctx: RunContext
    let emit: @Sendable (EventType, [(String, JSON)]) -> Bool
    /// Called after every turn that ran tools (commits per turn).
    let afterTurn: @Sendable (Int, Int, String) async -> Void

    func handles(_ step: Step) -> Bool { step.agent != nil }
    func defaultName(index: Int) -> String { "agent" }

    func run(_ step: Step, _ context: StepContext) async -> StepOutcome {
        guard let spec = step.agent else { return .failed("step \(context.index) is not an agent step") }
        let index = context.index
        let label = step.name ?? defaultName(index: index)
        let config = options.config
        let resolved: ProviderFactory.Resolved
        do {
            resolved = try ProviderFactory.make(spec, config: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            guard emit(.stepStarted, [("step", .int(index)), ("name", .string(label)), ("kind", .string("agent")),
                                      ("line", .int(step.line))]) else { return gone() }
            _ = emit(.llmError, [("step", .int(index)), ("provider", .string(spec.provider ?? config.agent.provider ?? "none")),
                                 ("message", .string(error.description))])
            _ = emit(.stepFinished, [("step", .int(index)), ("name", .string(label)), ("ok", .bool(false)),
                                     ("error", .string(error.description))])
            return .failed("step \(index) (\(label)): \(error.description)")
        }
        guard emit(.stepStarted, [("step", .int(index)), ("name", .string(label)), ("kind", .string("agent")),
                                  ("provider", .string(resolved.provider.name)), ("model", .string(resolved.model)),
                                  ("line", .int(step.line))]) else { return gone() }
        let events = (try? EventReader.read(ctx.run.events.path)) ?? []
        let history = events.map(\.json)
        let tokensBefore = events.compactMap { $0.payload(EventType.LLMResponse.self) }.reduce(0) { sum, r in
            sum + r.inputTokens + r.outputTokens
        }
        let tools = ToolContext(workspace: context.workspace, artifacts: context.artifacts.display, environment: context.environment,
                                outputCap: config.agent.toolOutputCap, shellTimeout: step.timeout ?? 300, killGrace: config.killGrace)
        let loop = AgentLoop(step: index, spec: spec, resolved: resolved, tools: tools,
                             maxSteps: spec.maxSteps ?? config.agent.maxSteps, maxTokens: spec.maxTokens ?? config.agent.maxTokens,
                             tokensBefore: tokensBefore, deadline: context.deadline)
        let control = ctx.control, afterTurn = self.afterTurn
        let host = AgentHost(emit: emit, control: { AgentControl(control.refresh().state) },
                             controlChanges: { control.changes { AgentControl($0) } },
                             afterTurn: { turn, summary in await afterTurn(index, turn, summary) })
        let started = monotonicNow()
        let outcome = await loop.run(history: history, host: host)
        var fields: [(String, JSON)] = [("step", .int(index)), ("name", .string(label))]
        let result: StepOutcome
        switch outcome {
        case .succeeded(let text):
            fields += [("ok", .bool(true)), ("outcome", .string("finished")), ("answer", .string(capped(text, 4096)))]
            result = .succeeded
        case .failed(let why):
            fields += [("ok", .bool(false)), ("outcome", .string(why))]
            result = .failed("step \(index) (\(label)): \(why)")
        case .stopped:
            _ = emit(.stopRequested, [("step", .int(index))])
            fields += [("ok", .bool(false)), ("outcome", .string("stopped"))]
            result = .stopped("stopped during step \(index)")
        case .shutdown:
            fields += [("ok", .bool(false)), ("outcome", .string("worker shutting down"))]
            result = .shutdown
        case .gone:
            return gone()
        }
        fields.append(("duration", .double(((monotonicNow() - started) * 1000).rounded() / 1000)))
        guard emit(.stepFinished, fields) else { return gone() }
        return result
    }

    func gone() -> StepOutcome { ctx.isLost ? .lost : .logFailed }
}

extension AgentControl {
    init(_ state: RunControl.State) {
        switch state {
        case .running: self = .proceed
        case .paused: self = .pause
        case .stopping(.lost), .stopping(.logFailed): self = .gone
        case .stopping(.shutdown): self = .shutdown
        case .stopping(.requested): self = .stop
        }
    }
}
