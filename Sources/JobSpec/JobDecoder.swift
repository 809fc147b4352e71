import YAMLCore

/// Schema v1: turns the document root into a `Job`. The first problem in document order wins.
struct JobDecoder {
    let d: SchemaDecoder
    /// config.yaml's `workspace_roots:`, when the spool is known and sets it.
    let roots: WorkspaceRoots?

    init(file: String, workspaceRoots: WorkspaceRoots? = nil) {
        d = SchemaDecoder(file: file)
        roots = workspaceRoots
    }

    static let topExpected = "a mapping of job settings (version, title, steps, …)"

    func job(_ root: YAMLNode) throws(JobError) -> Job {
        // The version decides how everything else reads, so it is checked first.
        if let v = root.mapping?.first(where: { $0.key.scalarText == "version" })?.value {
            let version = try d.int(v, field: "version", range: Int.min...Int.max)
            guard version == JobSchema.version else {
                throw d.error(.unsupported, at: v.mark, "schema version \(version) is not supported; this agent-runner reads version 1",
                              expected: "1")
            }
        }
        let entries = try d.mapping(root, field: "the job", expected: Self.topExpected, allowed: JobSchema.jobKeys,
                                    reserved: JobSchema.reservedJobKeys, reservedContext: " (top-level key)")
        var job = Job()
        var sawSteps = false
        var shorthand: (key: String, step: Step)?
        for (key, pair) in entries {
            let v = pair.value
            switch key {
            case "version": job.version = JobSchema.version
            case "title": job.title = try d.string(v, field: "title")
            case "workspace": job.workspace = try workspace(v)
            case "env": job.env = try env(v)
            case "timeout": job.timeout = try d.duration(v, field: "timeout")
            case "labels": job.labels = try labels(v)
            case "priority": job.priority = try d.int(v, field: "priority", range: JobSchema.priorityRange)
            case "max_attempts": job.maxAttempts = try d.int(v, field: "max_attempts", range: JobSchema.maxAttemptsRange)
            case "steps":
                job.steps = try steps(v)
                sawSteps = true
            case "agent", "prompt":
                if let other = shorthand {
                    throw d.error(.invalidValue, at: pair.key.mark, "\"\(key)\" and \"\(other.key)\" both describe the job's agent step",
                                  expected: "either `agent:` (with its own `prompt:`) or a plain `prompt:`")
                }
                let spec = key == "agent" ? try AgentDecoder(d: d).agent(v, field: "agent")
                                          : AgentSpec(prompt: try d.string(v, field: "prompt", nonEmpty: true))
                shorthand = (key, Step(name: "agent", action: .agent(spec), line: pair.key.mark.line))
            case "git": job.git = try AgentDecoder(d: d).git(v)
            default: break
            }
        }
        if let shorthand {
            if sawSteps, let stepsKey = entries.first(where: { $0.key == "steps" }) {
                throw d.error(.invalidValue, at: stepsKey.pair.key.mark,
                              "\"steps\" and the top-level \"\(shorthand.key)\" cannot be combined",
                              expected: "the agent step written as `- agent: {...}` inside `steps:`, or no `steps:` at all")
            }
            job.steps = [shorthand.step]
            return job
        }
        guard sawSteps else {
            throw d.error(.missingKey, at: root.mark, "missing required key \"steps\"",
                          expected: "a list of steps, an `agent:` or a `prompt:` (write `steps: []` for a job with nothing to run)")
        }
        return job
    }

    func workspace(_ node: YAMLNode) throws(JobError) -> String {
        let path = try d.string(node, field: "workspace", nonEmpty: true)
        // Relative paths are recommended (a spool mounted at different paths on different hosts then names the
        // same folder), absolute ones accepted; whether an absolute one exists is the worker's host's business.
        if let roots, !roots.allows(path) {
            let resolved = roots.resolve(path) == path ? "" : " (\(roots.resolve(path)))"
            throw d.error(.invalidValue, at: node.mark,
                          "workspace \(d.quoted(path))\(resolved) is outside every folder in config.yaml's workspace_roots",
                          expected: "a folder inside \((roots.roots + [roots.spoolRoot]).joined(separator: ", ")), "
                              + "or that folder added to workspace_roots")
        }
        return path
    }

    func env(_ node: YAMLNode) throws(JobError) -> [String: String] {
        let expected = "a mapping of variable names to strings, numbers or booleans"
        guard let pairs = node.mapping else { throw d.wrongType(node, field: "env", expected: expected) }
        var env: [String: String] = [:]
        for pair in pairs {
            let name = try d.keyName(pair.key, in: "env")
            guard Self.isEnvName(name) else {
                throw d.error(.invalidValue, at: pair.key.mark, "\(d.quoted(name)) is not a valid environment variable name",
                              expected: "a name matching [A-Za-z_][A-Za-z0-9_]*")
            }
            switch pair.value.value {
            case .string?, .int?, .float?, .bool?:
                // The text as written: `1.10` stays "1.10", `0x1F` stays "0x1F".
                env[name] = pair.value.scalarText ?? ""
            default:
                throw d.wrongType(pair.value, field: "env.\(name)", expected: "a string, number or boolean")
            }
        }
        return env
    }

    static func isEnvName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first.isASCII, first == "_" || first.properties.isAlphabetic else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }

    func labels(_ node: YAMLNode) throws(JobError) -> [String] {
        let expected = "a list of strings, or a single string"
        if case .string(let s)? = node.value { return [s] }
        guard let items = node.sequence else { throw d.wrongType(node, field: "labels", expected: expected) }
        var labels: [String] = []
        for item in items { labels.append(try d.string(item, field: "each label", nonEmpty: true)) }
        return labels
    }

    func steps(_ node: YAMLNode) throws(JobError) -> [Step] {
        guard let items = node.sequence else { throw d.wrongType(node, field: "steps", expected: "a list of steps") }
        var steps: [Step] = []
        for (index, item) in items.enumerated() { steps.append(try step(item, number: index + 1)) }
        return steps
    }

    func step(_ node: YAMLNode, number: Int) throws(JobError) -> Step {
        let field = "step \(number)"
        let entries = try d.mapping(node, field: field, expected: "a step mapping with a `run:` command, an `agent:` or a `wait:`",
                                    allowed: JobSchema.stepKeys, reserved: JobSchema.reservedStepKeys,
                                    reservedContext: " (step key)")
        var name: String?
        var run: String?
        var agent: AgentSpec?
        var wait: Step.WaitMode?
        var timeout: Double?
        var continueOnError = false
        for (key, pair) in entries {
            let v = pair.value
            switch key {
            case "name": name = try d.string(v, field: "\(field) name")
            case "run": run = try d.string(v, field: "\(field) run", nonEmpty: true)
            case "agent": agent = try AgentDecoder(d: d).agent(v, field: "\(field) agent")
            case "wait": wait = try waitMode(v, field: "\(field) wait")
            case "timeout": timeout = try d.duration(v, field: "\(field) timeout")
            case "continue_on_error": continueOnError = try d.bool(v, field: "\(field) continue_on_error")
            default: break
            }
        }
        let given = [run.map { Step.Action.shell($0) }, agent.map { .agent($0) }, wait.map { .wait($0) }].compactMap { $0 }
        let kinds = ["run", "agent", "wait"].filter { entries.map(\.key).contains($0) }
        guard given.count == 1, let action = given.first else {
            if given.isEmpty {
                throw d.error(.missingKey, at: node.mark, "\(field) has no \"run\" command, no \"agent\" and no \"wait\"",
                              expected: "a `run:` shell command, an `agent:` mapping or a `wait:` (all, any or a number)")
            }
            let quoted = kinds.map { "\"\($0)\"" }
            throw d.error(.invalidValue, at: node.mark, "\(field) has \(quoted.count == 2 ? "both " : "")\(quoted.dropLast().joined(separator: ", ")) and \(quoted.last ?? "")",
                          expected: "one thing per step: split them into separate steps")
        }
        return Step(name: name, action: action, timeout: timeout, continueOnError: continueOnError, line: node.mark.line)
    }

    /// `wait: all`, `wait: any` or `wait: N` (N ≥ 1): how many of the children spawned so far to wait for.
    func waitMode(_ node: YAMLNode, field: String) throws(JobError) -> Step.WaitMode {
        let expected = "all, any, or a number of children (1 or more)"
        guard let text = node.scalarText else { throw d.wrongType(node, field: field, expected: expected) }
        switch text {
        case "all": return .all
        case "any": return .any
        default:
            guard let n = Int(text), n >= 1 else {
                throw d.error(.invalidValue, at: node.mark, "\(field) must be all, any or a number of children, not \"\(text)\"", expected: expected)
            }
            return .atLeast(n)
        }
    }
}
