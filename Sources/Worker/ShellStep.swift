import Foundation
import JobSpec
import ProcessRunner
import SpoolCore

/// A shell step (`run:`): spawns the step's process group, turns its output files into capped `step.output`
/// events, and acts on the run's control while it runs (pause stops the process group, stop and shutdown
/// and a lost lease end it).
struct ShellStep: StepKind {
    let spooler: Spooler
    let options: WorkerOptions
    let ctx: RunContext
    let emit: @Sendable (EventType, [(String, JSON)]) -> Bool

    func handles(_ step: Step) -> Bool { step.run != nil }
    func defaultName(index: Int) -> String { "step \(index)" }

    func run(_ step: Step, _ context: StepContext) async -> StepOutcome {
        let index = context.index, artifacts = context.artifacts
        let label = step.name ?? defaultName(index: index)
        let command = step.run ?? ""
        let base = artifactBase(step, index: index, attempt: context.attempt, artifacts: artifacts)
        let stdoutPath = base + ".stdout", stderrPath = base + ".stderr"
        var env = context.environment
        env["AGENT_RUNNER_STEP"] = String(index)
        env["AGENT_RUNNER_ARTIFACTS"] = artifacts.display
        var timeout = step.timeout
        var runDeadlineBinds = false
        if let deadline = context.deadline {
            let left = max(0.001, deadline - monotonicNow())
            if timeout == nil || left < timeout! { timeout = left; runDeadlineBinds = true }
        }
        guard emit(.stepStarted, [("step", .int(index)), ("name", .string(label)),
                                  ("command", .string(capped(command, 4096))), ("line", .int(step.line))]) else {
            return ctx.isLost ? .lost : .logFailed
        }
        spooler.faults.crash(at: .stepStarted)
        var spec = ProcessSpec(command: command, workingDirectory: context.workspace, environment: env,
                               stdoutPath: stdoutPath, stderrPath: stderrPath, timeout: timeout,
                               killGrace: options.config.killGrace)
        spec.label = "\(ctx.run.id.rawValue)-step\(index)"
        let process: RunningProcess
        do { process = try RunningProcess.spawn(spec) } catch {
            _ = emit(.stepFinished, [("step", .int(index)), ("name", .string(label)), ("ok", .bool(false)),
                                     ("error", .string("\(error)"))])
            return .failed("step \(index) (\(label)) could not start: \(error)")
        }
        spooler.recordStepProcess(ctx.run, pgid: process.pid)
        let cap = options.config.outputEventCap
        let followers = [("stdout", OutputFollower(path: stdoutPath, cap: cap)), ("stderr", OutputFollower(path: stderrPath, cap: cap))]
        let result = await monitor(process, step: index, followers: followers)
        for (stream, follower) in followers {
            while let chunk = follower.poll(maxChunk: 4096) { _ = emitOutput(index, stream, chunk) }
            if let chunk = follower.flush() { _ = emitOutput(index, stream, chunk) }
        }
        var fields: [(String, JSON)] = [("step", .int(index)), ("name", .string(label)), ("ok", .bool(result.succeeded)),
                                        ("outcome", .string(result.summary))]
        if let code = result.exitCode { fields.append(("exit_code", .int(Int(code)))) }
        if let sig = result.signal { fields.append(("signal", .int(Int(sig)))) }
        if result.timedOut { fields.append(("timed_out", .bool(true))) }
        fields.append(("duration", .double((result.duration * 1000).rounded() / 1000)))
        for (stream, follower) in followers {
            fields.append(("\(stream)_bytes", .int(follower.returnedBytes + follower.truncatedBytes)))
            if follower.truncatedBytes > 0 { fields.append(("\(stream)_truncated", .bool(true))) }
        }
        let relative = String(base.dropFirst(artifacts.display.count + 1))
        fields.append(("artifacts", .array([.string(relative + ".stdout"), .string(relative + ".stderr")])))
        if ctx.isLost { return .lost }
        // Children the step spawned (`agent-runner spawn`) are named on the parent before its step ends.
        for spawned in spooler.unrecordedSpawns(ctx.run) { _ = emit(.childSpawned, spawned) }
        guard emit(.stepFinished, fields) else { return ctx.isLost ? .lost : .logFailed }
        if ctx.isShuttingDown && !result.succeeded { return .shutdown }
        if result.terminated && ctx.control.refresh().stopFile { return .stopped("stopped during step \(index)") }
        if ctx.isShuttingDown && result.terminated { return .shutdown }
        if result.succeeded { return .succeeded }
        if result.timedOut && runDeadlineBinds {
            return .failed("the run timed out during step \(index) (\(label)) (job timeout)")
        }
        return .failed("step \(index) (\(label)) failed: \(result.summary)")
    }

    /// Waits for the process while polling its output files every 100 ms, and acts on each change of the
    /// run's control at once. The process's exit wakes the loop at once, so a short step costs no polling delay.
    func monitor(_ process: RunningProcess, step: Int, followers: [(String, OutputFollower)]) async -> ProcessResult {
        enum Message: Sendable {
            case exited(ProcessResult)
            case tick
            case control(RunControl.State)
        }
        let (messages, post) = AsyncStream.makeStream(of: Message.self)
        let changes = ctx.control.changes()
        let tasks = [
            Task { _ = post.yield(.exited(await process.wait())) },
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    _ = post.yield(.tick)
                }
            },
            Task { for await state in changes { _ = post.yield(.control(state)) } },
        ]
        defer {
            tasks.forEach { $0.cancel() }
            post.finish()
        }
        var paused = false
        var stopping = false
        for await message in messages {
            let state: RunControl.State
            switch message {
            case .exited(let result): return result
            case .tick, .control:
                for (stream, follower) in followers {
                    if let chunk = follower.poll(maxChunk: 4096) { _ = emitOutput(step, stream, chunk) }
                }
                guard case .control(let s) = message, !stopping else { continue }
                state = s
            }
            switch state {
            case .stopping(.requested):
                _ = emit(.stopRequested, [("step", .int(step))])
                stopping = true
                process.terminate()
            case .stopping:
                stopping = true
                process.terminate()
            case .paused where !paused:
                process.pause()
                paused = true
                _ = emit(.paused, [("step", .int(step))])
            case .running where paused:
                process.resume()
                paused = false
                _ = emit(.resumed, [("step", .int(step))])
            case .paused, .running:
                break
            }
        }
        return await process.wait()
    }

    func emitOutput(_ step: Int, _ stream: String, _ chunk: [UInt8]) -> Bool {
        emit(.stepOutput, [("step", .int(step)), ("stream", .string(stream)),
                           ("text", .string(String(decoding: chunk, as: UTF8.self)))])
    }

    func artifactBase(_ step: Step, index: Int, attempt: Int, artifacts: FilePath) -> String {
        var slug = (step.name ?? "").lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.reduce(into: "") { s, c in
            if !(c == "-" && s.last == "-") { s.append(c) }
        }
        slug = String(slug.prefix(40)).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        let number = index < 10 ? "0\(index)" : "\(index)"
        let file = "step-\(number)" + (slug.isEmpty ? "" : "-\(slug)")
        if attempt > 1 {
            let dir = artifacts.appending("attempt-\(attempt)")
            try? Sys.mkdir(dir)
            return dir.appending(file).display
        }
        return artifacts.appending(file).display
    }
}

/// At most `limit` bytes of `s` for an event field, marked with "…" when cut.
func capped(_ s: String, _ limit: Int) -> String {
    s.utf8.count <= limit ? s : String(decoding: Array(s.utf8.prefix(limit)), as: UTF8.self) + "…"
}

