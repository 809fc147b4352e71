import Foundation
import JSONCore
import ProcessRunner

/// `shell`: ProcessRunner (under the step supervisor in a worker, so the call's whole tree ends with it), in the workspace, with a timeout and capped output.
enum ShellTool {
    static func run(_ args: JSON, _ ctx: ToolContext, callID: String) async throws -> ToolOutput {
        let command = try args.string("command")
        let timeout = min(Double(try args.optionalInt("timeout_seconds") ?? Int(ctx.shellTimeout)), ctx.shellTimeout)
        let safeID = Toolbox.fileNamePart(callID)
        try FileManager.default.createDirectory(atPath: ctx.artifacts, withIntermediateDirectories: true)
        // Ids repeat across agent steps (a script's `script_1`), so an earlier call's output is never overwritten.
        var base = ctx.artifacts + "/tool-\(safeID)"
        var n = 1
        while FileManager.default.fileExists(atPath: base + ".out") {
            n += 1
            base = ctx.artifacts + "/tool-\(safeID)-\(n)"
        }
        let spec = ProcessSpec(command: command, workingDirectory: ctx.jail.root, environment: ctx.environment,
                               stdoutPath: base + ".out", stderrPath: base + ".out", timeout: max(1, timeout), killGrace: ctx.killGrace)
        let process = try RunningProcess.spawn(spec)
        let result = await withTaskCancellationHandler {
            await process.wait()
        } onCancel: {
            process.terminate()
        }
        let output = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        let text = "exit: \(result.summary)\n\(output)"
        let (shown, cut) = capped(text, ctx.outputCap)
        return ToolOutput(content: shown, isError: !result.succeeded, full: cut ? text : nil)
    }
}

/// `fetch_url`: HTTP(S) GET through libcurl, HTML reduced to readable text, with a size cap.
enum FetchTool {
    static func fetch(_ args: JSON, _ ctx: ToolContext) async throws -> ToolOutput {
        let url = try args.string("url")
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else { return .error("only http:// and https:// URLs can be fetched") }
        let response = try await WebFetch.get(url, maxBytes: 2 << 20)
        guard response.status < 400 else { return .error("\(url) answered HTTP \(response.status)") }
        let body = String(decoding: response.body, as: UTF8.self)
        let isHTML = response.contentType.contains("html") || body.prefix(512).lowercased().contains("<html")
        let text = isHTML ? HTMLText.readable(body) : body
        let (shown, cut) = capped(text, ctx.outputCap)
        return ToolOutput(content: shown, full: cut ? text : nil)
    }
}
