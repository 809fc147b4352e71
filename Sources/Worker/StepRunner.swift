import Foundation
import JobSpec
import ProcessRunner
import SpoolCore

/// Runs a job's shell steps one at a time for one run: spawns the step's process group, turns its output
/// files into capped `step.output` events, and acts on control files (pause, stop), shutdown and a lost lease.
struct StepRunner: Sendable {
    let spooler: Spooler
    let options: WorkerOptions
    let ctx: RunContext
    let emit: @Sendable (String, [(String, JSON)]) -> Bool

    enum Outcome: Sendable {
        case succeeded
        case failed(String)
        case stopped, shutdown, lost, logFailed
    }

    enum Gate: Sendable { case proceed, stop, shutdown, lost, logFailed }

    /// Between steps: honours stop, and holds the run while `control/RUN.pause` exists.
    func waitWhilePaused(step: Int) async -> Gate {
        var paused = false
        while true {
            if ctx.isLost { return .lost }
            if ctx.eventLogFailed { return .logFailed }
            if ctx.isShuttingDown { return .shutdown }
            let c = spooler.controls(ctx.run.id)
            if c.stop {
                return emit("stop.requested", [("step", .int(step))]) ? .stop : gateFailure()
            }
            if c.pause && !paused {
                guard emit("paused", [("before_step", .int(step))]) else { return gateFailure() }
                paused = true
            } else if !c.pause && paused {
                guard emit("resumed", [("before_step", .int(step))]) else { return gateFailure() }
                paused = false
            }
            if !paused { return .proceed }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    func gateFailure() -> Gate { ctx.isLost ? .lost : .logFailed }

    func run(_ step: Step, index: Int, workspace: String, artifacts: FilePath, environment: [String: String],
             deadline: Double?, attempt: Int) async -> Outcome {
        let label = step.name ?? "step \(index)"
        let command = step.run ?? ""
        let base = artifactBase(step, index: index, attempt: attempt, artifacts: artifacts)
        let stdoutPath = base + ".stdout", stderrPath = base + ".stderr"
        var env = environment
        env["AGENT_RUNNER_STEP"] = String(index)
        env["AGENT_RUNNER_ARTIFACTS"] = artifacts.display
        var timeout = step.timeout
        var runDeadlineBinds = false
        if let deadline {
            let left = max(0.001, deadline - monotonicNow())
            if timeout == nil || left < timeout! { timeout = left; runDeadlineBinds = true }
        }
        guard emit("step.started", [("step", .int(index)), ("name", .string(label)),
                                    ("command", .string(capped(command, 4096))), ("line", .int(step.line))]) else {
            return ctx.isLost ? .lost : .logFailed
        }
        spooler.faults.crash(at: .stepStarted)
        var spec = ProcessSpec(command: command, workingDirectory: workspace, environment: env,
                               stdoutPath: stdoutPath, stderrPath: stderrPath, timeout: timeout,
                               killGrace: options.config.killGrace)
        spec.label = "\(ctx.run.id.rawValue)-step\(index)"
        let process: RunningProcess
        do { process = try RunningProcess.spawn(spec) } catch {
            _ = emit("step.finished", [("step", .int(index)), ("name", .string(label)), ("ok", .bool(false)),
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
        guard emit("step.finished", fields) else { return ctx.isLost ? .lost : .logFailed }
        if ctx.isShuttingDown && !result.succeeded { return .shutdown }
        if result.terminated && spooler.controls(ctx.run.id).stop { return .stopped }
        if ctx.isShuttingDown && result.terminated { return .shutdown }
        if result.succeeded { return .succeeded }
        if result.timedOut && runDeadlineBinds {
            return .failed("the run timed out during step \(index) (\(label)) (job timeout)")
        }
        return .failed("step \(index) (\(label)) failed: \(result.summary)")
    }

    /// Waits for the process while polling its output and the run's controls every 100 ms.
    /// The process's exit wakes the loop at once, so a short step costs no polling delay.
    func monitor(_ process: RunningProcess, step: Int, followers: [(String, OutputFollower)]) async -> ProcessResult {
        let (ticks, tick) = AsyncStream.makeStream(of: ProcessResult?.self)
        let waiter = Task {
            tick.yield(await process.wait())
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                tick.yield(nil)
            }
        }
        defer {
            ticker.cancel()
            waiter.cancel()
            tick.finish()
        }
        var paused = false
        var stopping = false
        for await message in ticks {
            if let result = message { return result }
            for (stream, follower) in followers {
                if let chunk = follower.poll(maxChunk: 4096) { _ = emitOutput(step, stream, chunk) }
            }
            if stopping { continue }
            if ctx.isLost || ctx.isShuttingDown || ctx.eventLogFailed {
                stopping = true
                process.terminate()
                continue
            }
            let c = spooler.controls(ctx.run.id)
            if c.stop {
                _ = emit("stop.requested", [("step", .int(step))])
                stopping = true
                process.terminate()
            } else if c.pause && !paused {
                process.pause()
                paused = true
                _ = emit("paused", [("step", .int(step))])
            } else if !c.pause && paused {
                process.resume()
                paused = false
                _ = emit("resumed", [("step", .int(step))])
            }
        }
        return await process.wait()
    }

    func emitOutput(_ step: Int, _ stream: String, _ chunk: [UInt8]) -> Bool {
        emit("step.output", [("step", .int(step)), ("stream", .string(stream)),
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

