import YAMLCore

/// Reads a job file: checks the bytes, parses the YAML, and maps it onto schema v1 with an error that
/// names the file, line and column of anything wrong.
public enum JobLoader {
    public static let maxFileSize = 1 << 20

    static let topLevelKeys = ["version", "title", "workspace", "env", "timeout", "labels", "priority", "max_attempts", "steps"]
    static let stepKeys = ["name", "run", "timeout", "continue_on_error"]
    /// Keys the next schema versions will give meaning to. Refusing them now means no job written
    /// today silently changes meaning later.
    static let reservedTopLevel = [
        "agent": "LLM agent steps are planned for the next release",
        "prompt": "the agent shorthand is planned for the next release",
        "after": "dependencies between jobs are planned for a later release",
        "git": "commit settings arrive with agent steps",
    ]
    static let reservedStep = ["agent": "LLM agent steps are planned for the next release"]

    public static func load(_ bytes: [UInt8], file: String) throws(JobError) -> Job {
        try FileChecks.check(bytes, file: file, limit: maxFileSize, requireFinalNewline: true)
        let root = try parse(bytes, file: file)
        guard let root else {
            throw JobError(reason: .empty, file: file, line: 1, column: 1, message: "the file holds no job (only comments)",
                           expected: "a YAML mapping with at least `steps:`")
        }
        return try decode(root, file: file)
    }

    static func parse(_ bytes: [UInt8], file: String) throws(JobError) -> YAMLNode? {
        do {
            return try YAMLParser().parse(bytes)
        } catch {
            throw JobError(reason: .syntax, file: file, line: error.mark?.line, column: error.mark?.column,
                           message: "YAML: \(error.message)", expected: nil, mayBeIncomplete: error.atEnd)
        }
    }

    static func decode(_ root: YAMLNode, file: String) throws(JobError) -> Job {
        let r = NodeReader(file: file)
        let f = try r.fields(root, of: "the job", allowed: topLevelKeys, reserved: reservedTopLevel)
        var job = Job()
        if let v = f["version"] {
            job.version = try r.int(v.value, "version", in: 1...1_000)
            guard job.version == 1 else {
                throw r.error(.unsupported, v.value, "job schema version \(job.version) is newer than this agent-runner understands", expected: "1")
            }
        }
        if let v = f["title"] { job.title = try r.string(v.value, "title") }
        if let v = f["workspace"] { job.workspace = try r.string(v.value, "workspace", nonEmpty: true) }
        if let v = f["env"] { job.env = try environment(v.value, r) }
        if let v = f["timeout"] { job.timeout = try r.duration(v.value, "timeout") }
        if let v = f["labels"] { job.labels = try labels(v.value, r) }
        if let v = f["priority"] { job.priority = try r.int(v.value, "priority", in: -1000...1000) }
        if let v = f["max_attempts"] { job.maxAttempts = try r.int(v.value, "max_attempts", in: 1...100) }
        guard let steps = f["steps"] else {
            throw JobError(reason: .missingKey, file: file, line: root.mark.line, column: root.mark.column,
                           message: "the job has no `steps:` (write `steps: []` for a job that does nothing)",
                           expected: "a `steps:` list")
        }
        let items = try r.list(steps.value, "steps", expected: "a list of steps, each with `run:`")
        for (i, item) in items.enumerated() { job.steps.append(try step(item, index: i + 1, r)) }
        return job
    }

    /// `NAME: value` pairs; names as a shell accepts them, values any scalar (numbers become their text).
    static func environment(_ node: YAMLNode, _ r: NodeReader) throws(JobError) -> [String: String] {
        guard case .mapping(let pairs) = node.kind else {
            throw r.error(.wrongType, node, "env must be a mapping of NAME: value, not \(node.kindDescription)", expected: "a mapping")
        }
        var env: [String: String] = [:]
        for (key, value) in pairs {
            let name = key.scalarText ?? ""
            let valid = !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || CharacterSetLite.alnum($0)) }
                && !CharacterSetLite.digit(name.unicodeScalars.first!)
            guard valid else {
                throw r.error(.invalidValue, key, "`\(name)` is not a valid environment variable name",
                              expected: "letters, digits and _, not starting with a digit")
            }
            env[name] = try r.scalarString(value, "env \(name)")
        }
        return env
    }

    static func labels(_ node: YAMLNode, _ r: NodeReader) throws(JobError) -> [String] {
        if case .scalar = node.kind { return [try r.string(node, "labels", nonEmpty: true)] }
        var out: [String] = []
        for item in try r.list(node, "labels", expected: "a list of strings") { out.append(try r.string(item, "a label", nonEmpty: true)) }
        return out
    }

    static func step(_ node: YAMLNode, index: Int, _ r: NodeReader) throws(JobError) -> Step {
        let what = "step \(index)"
        if case .scalar = node.kind {
            throw r.error(.wrongType, node, "\(what) must be a mapping such as `- run: make test`, not \(node.kindDescription)",
                          expected: "a mapping with `run:`")
        }
        let f = try r.fields(node, of: what, allowed: stepKeys, reserved: reservedStep)
        guard let run = f["run"] else {
            throw r.error(.missingKey, node, "\(what) has no `run:` command", expected: "`run: <shell command>`")
        }
        var s = Step(run: try r.string(run.value, "`run` of \(what)", nonEmpty: true), line: node.mark.line)
        if let v = f["name"] { s.name = try r.string(v.value, "`name` of \(what)") }
        if let v = f["timeout"] { s.timeout = try r.duration(v.value, "`timeout` of \(what)") }
        if let v = f["continue_on_error"] { s.continueOnError = try r.bool(v.value, "`continue_on_error` of \(what)") }
        return s
    }
}

enum CharacterSetLite {
    static func digit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
    static func alnum(_ c: Unicode.Scalar) -> Bool { digit(c) || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") }
}
