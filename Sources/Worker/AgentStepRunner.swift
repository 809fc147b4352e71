import Agent
import AgentTools
import Foundation
import JobSpec
import LLM
import SpoolCore

/// Runs one `agent:` step of a run: resolves the provider, rebuilds the conversation from the run's events
/// (so a run taken over after a crash continues), and maps the loop's outcome onto the step outcomes.
struct AgentStepRunner: Sendable {
    let spooler: Spooler
    let options: WorkerOptions
    let ctx: RunContext
    let emit: @Sendable (String, [(String, JSON)]) -> Bool
    /// Called after every turn that ran tools (commits per turn).
    let afterTurn: @Sendable (Int, Int, String) async -> Void

    func run(_ step: Step, spec: AgentSpec, index: Int, workspace: String, artifacts: FilePath,
             environment: [String: String], deadline: Double?) async -> StepRunner.Outcome {
        let label = step.name ?? "agent"
        let config = options.config
        let resolved: ProviderFactory.Resolved
        do {
            resolved = try ProviderFactory.make(spec, config: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            guard emit("step.started", [("step", .int(index)), ("name", .string(label)), ("kind", .string("agent")),
                                        ("line", .int(step.line))]) else { return gone() }
            _ = emit("llm.error", [("step", .int(index)), ("provider", .string(spec.provider ?? config.agent.provider ?? "none")),
                                   ("message", .string(error.description))])
            _ = emit("step.finished", [("step", .int(index)), ("name", .string(label)), ("ok", .bool(false)),
                                       ("error", .string(error.description))])
            return .failed("step \(index) (\(label)): \(error.description)")
        }
        guard emit("step.started", [("step", .int(index)), ("name", .string(label)), ("kind", .string("agent")),
                                    ("provider", .string(resolved.provider.name)), ("model", .string(resolved.model)),
                                    ("line", .int(step.line))]) else { return gone() }
        let history = ((try? EventReader.read(ctx.run.events.path)) ?? []).map(\.json)
        let tokensBefore = history.filter { $0["type"]?.stringValue == "llm.response" }.reduce(0) { sum, e in
            sum + (e["usage"]?["input"]?.intValue ?? 0) + (e["usage"]?["output"]?.intValue ?? 0)
        }
        let tools = ToolContext(workspace: workspace, artifacts: artifacts.display, environment: environment,
                                outputCap: config.agent.toolOutputCap, shellTimeout: step.timeout ?? 300, killGrace: config.killGrace)
        let loop = AgentLoop(step: index, spec: spec, resolved: resolved, tools: tools,
                             maxSteps: spec.maxSteps ?? config.agent.maxSteps, maxTokens: spec.maxTokens ?? config.agent.maxTokens,
                             tokensBefore: tokensBefore, deadline: deadline)
        let spooler = self.spooler, ctx = self.ctx, afterTurn = self.afterTurn
        let host = AgentHost(emit: emit, control: {
            if ctx.isLost || ctx.eventLogFailed { return .gone }
            if ctx.isShuttingDown { return .shutdown }
            let c = spooler.controls(ctx.run.id)
            if c.stop { return .stop }
            return c.pause ? .pause : .proceed
        }, afterTurn: { turn, summary in await afterTurn(index, turn, summary) })
        let started = monotonicNow()
        let outcome = await loop.run(history: history, host: host)
        var fields: [(String, JSON)] = [("step", .int(index)), ("name", .string(label))]
        let result: StepRunner.Outcome
        switch outcome {
        case .succeeded(let text):
            fields += [("ok", .bool(true)), ("outcome", .string("finished")), ("answer", .string(capped(text, 4096)))]
            result = .succeeded
        case .failed(let why):
            fields += [("ok", .bool(false)), ("outcome", .string(why))]
            result = .failed("step \(index) (\(label)): \(why)")
        case .stopped:
            _ = emit("stop.requested", [("step", .int(index))])
            fields += [("ok", .bool(false)), ("outcome", .string("stopped"))]
            result = .stopped
        case .shutdown:
            fields += [("ok", .bool(false)), ("outcome", .string("worker shutting down"))]
            result = .shutdown
        case .gone:
            return gone()
        }
        fields.append(("duration", .double(((monotonicNow() - started) * 1000).rounded() / 1000)))
        guard emit("step.finished", fields) else { return gone() }
        return result
    }

    func gone() -> StepRunner.Outcome { ctx.isLost ? .lost : .logFailed }
}
