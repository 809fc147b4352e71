import SpoolCore

/// `RUN.artifacts/result.json`: what a run hands back to whoever waits for it (a parent's `wait:` step, a
/// script, the API). Written before the finish for every run that wrote outputs or was spawned by another.
///
/// - `outputs`: the `key=value` lines its steps wrote to the file named by `$AGENT_RUNNER_OUTPUT`
///   (`RUN.artifacts/output`); a later line for the same key wins. Lines without `=` are listed in
///   `output_errors` with their number, never dropped silently.
/// - `changed_files`: with git, every path its commits touched; `[]` says plainly that it changed nothing.
///   Without git it is `null`: nobody knows.
enum RunResult {
    static let outputFile = "output"
    static let resultFile = "result.json"

    static func write(_ ctx: RunContext, artifacts: FilePath, status: RunStatus, reason: String?, usesGit: Bool) {
        let raw = try? Sys.readFile(artifacts.appending(outputFile), limit: 1 << 20)
        // Most runs are neither: they pay one failed open, not a read of their events.
        guard raw != nil || ctx.run.parent != nil else { return }
        let history = RunHistory.read(ctx.run.events.path)
        let (outputs, errors) = parse(raw ?? [])
        var changed: [String] = []
        for commit in history.commits {
            guard case .array(let files) = commit.files else { continue }
            for f in files { if let p = f["path"]?.stringValue, !changed.contains(p) { changed.append(p) } }
        }
        var fields: [(String, JSON)] = [
            ("run", .string(ctx.run.id.rawValue)), ("status", .string(status.rawValue)), ("reason", reason.map(JSON.string) ?? .null),
            ("outputs", .object(outputs.map { ($0.0, .string($0.1)) })),
            ("changed_files", usesGit ? .array(changed.map(JSON.string)) : .null),
        ]
        if !errors.isEmpty { fields.append(("output_errors", .array(errors.map(JSON.string)))) }
        if let p = ctx.run.parent { fields.append(("parent", .string(p.rawValue))) }
        try? Sys.writeFile(artifacts.appending(resultFile), JSON.object(fields).encoded() + [0x0A])
    }

    /// `key=value` lines, in order, the last value of a key winning; blank lines are skipped.
    static func parse(_ bytes: [UInt8]) -> (outputs: [(String, String)], errors: [String]) {
        var outputs: [(String, String)] = [], errors: [String] = []
        for (i, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy(\.isWhitespace) { continue }
            guard let eq = line.firstIndex(of: "="), eq != line.startIndex else {
                errors.append("line \(i + 1): expected key=value, got \(line.prefix(80).debugDescription)")
                continue
            }
            let key = String(line[..<eq]), value = String(line[line.index(after: eq)...])
            outputs.removeAll { $0.0 == key }
            outputs.append((key, value))
        }
        return (outputs, errors)
    }

    /// The parent's side, after a released wait: `RUN.artifacts/children.json`, each child spawned so far with
    /// where it is, how it ended and its `result.json` (null while it has none).
    static func writeChildren(_ spooler: Spooler, parent: RunID, artifacts: FilePath) -> String? {
        let rows: [JSON] = spooler.children(of: parent).map { child in
            let state = spooler.spool.state(of: child)
            let status = state == .done ? RunHistory.read(spooler.spool.eventsFile(child, in: .done)).status : nil
            let result = state.flatMap { try? Sys.readFile(spooler.spool.artifactsDir(child, in: $0).appending(resultFile), limit: 1 << 20) }
                .flatMap { JSON.parse(Array($0.prefix { $0 != 0x0A })) }
            return .object([("id", .string(child.rawValue)), ("state", state.map { .string($0.rawValue) } ?? .null),
                            ("status", status.map { .string($0.rawValue) } ?? .null), ("result", result ?? .null)])
        }
        let name = "children.json"
        guard (try? Sys.writeFile(artifacts.appending(name), JSON.array(rows).encoded() + [0x0A])) != nil else { return nil }
        return name
    }
}
