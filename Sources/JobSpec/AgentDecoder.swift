import JSONCore
import YAMLCore

/// Decodes `agent:` steps and the `git:` section of a job.
struct AgentDecoder {
    let d: SchemaDecoder

    func agent(_ node: YAMLNode, field: String) throws(JobError) -> AgentSpec {
        let entries = try d.mapping(node, field: field, expected: "an agent mapping with at least a `prompt:`",
                                    allowed: AgentSchema.agentKeys)
        var spec = AgentSpec(prompt: "")
        var sawPrompt = false
        var scriptNode: YAMLNode?
        for (key, pair) in entries {
            let v = pair.value
            switch key {
            case "provider": spec.provider = try oneOf(v, field: "\(field) provider", AgentSchema.providers)
            case "model": spec.model = try d.string(v, field: "\(field) model", nonEmpty: true)
            case "system": spec.system = try d.string(v, field: "\(field) system")
            case "prompt":
                spec.prompt = try d.string(v, field: "\(field) prompt", nonEmpty: true)
                sawPrompt = true
            case "tools": spec.tools = try tools(v, field: "\(field) tools")
            case "max_steps": spec.maxSteps = try d.int(v, field: "\(field) max_steps", range: AgentSchema.maxStepsRange)
            case "max_tokens": spec.maxTokens = try d.int(v, field: "\(field) max_tokens", range: AgentSchema.maxTokensRange)
            case "tool_mode":
                spec.toolMode = AgentSpec.ToolMode(rawValue: try oneOf(v, field: "\(field) tool_mode",
                                                                       AgentSpec.ToolMode.allCases.map(\.rawValue)))
            case "script":
                scriptNode = v
            default: break
            }
        }
        guard sawPrompt else {
            throw d.error(.missingKey, at: node.mark, "\(field) has no \"prompt\"", expected: "a `prompt:` telling the agent what to do")
        }
        if let scriptNode {
            spec.script = try script(scriptNode, field: "\(field) script", tools: spec.tools ?? AgentSchema.defaultTools)
        }
        if spec.provider == "scripted" && spec.script == nil {
            throw d.error(.missingKey, at: node.mark, "\(field) uses the scripted provider but has no \"script\"",
                          expected: "a `script:` list of turns (`say:`, `tool:`, `args:`)")
        }
        if spec.script != nil && spec.provider != "scripted" {
            let at = scriptNode?.mark ?? node.mark
            throw d.error(.invalidValue, at: at, "\(field) has a \"script\" but its provider is not \"scripted\"",
                          expected: "`provider: scripted` next to `script:`")
        }
        return spec
    }

    func oneOf(_ node: YAMLNode, field: String, _ allowed: [String]) throws(JobError) -> String {
        let text = try d.string(node, field: field, nonEmpty: true)
        guard allowed.contains(text) else {
            var message = "\(field) \(d.quoted(text)) is not known"
            if let s = Suggestions.closest(to: text, in: allowed) { message += "; did you mean \"\(s)\"?" }
            throw d.error(.invalidValue, at: node.mark, message, expected: "one of: " + allowed.joined(separator: ", "))
        }
        return text
    }

    func tools(_ node: YAMLNode, field: String) throws(JobError) -> [String] {
        guard let items = node.sequence else { throw d.wrongType(node, field: field, expected: "a list of tool names") }
        var names: [String] = []
        for item in items {
            let name = try oneOf(item, field: "tool", AgentSchema.tools)
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    func script(_ node: YAMLNode, field: String, tools: [String]) throws(JobError) -> [ScriptTurn] {
        guard let items = node.sequence, !items.isEmpty else {
            throw d.wrongType(node, field: field, expected: "a non-empty list of turns")
        }
        var turns: [ScriptTurn] = []
        for (index, item) in items.enumerated() {
            let turnField = "\(field) turn \(index + 1)"
            let entries = try d.mapping(item, field: turnField, expected: "a turn with `say:` and/or `tool:` and `args:`",
                                        allowed: AgentSchema.scriptKeys)
            var turn = ScriptTurn(line: item.mark.line)
            var argsNode: YAMLNode?
            for (key, pair) in entries {
                switch key {
                case "say": turn.say = try d.string(pair.value, field: "\(turnField) say")
                case "tool":
                    let name = try oneOf(pair.value, field: "\(turnField) tool", AgentSchema.tools)
                    guard tools.contains(name) else {
                        throw d.error(.invalidValue, at: pair.value.mark, "\(turnField) calls \"\(name)\", which this agent may not use",
                                      expected: "a tool listed in `tools:` (" + tools.joined(separator: ", ") + ")")
                    }
                    turn.tool = name
                case "args":
                    guard pair.value.mapping != nil else {
                        throw d.wrongType(pair.value, field: "\(turnField) args", expected: "a mapping of the tool's arguments")
                    }
                    argsNode = pair.value
                case "tokens": turn.tokens = try d.int(pair.value, field: "\(turnField) tokens", range: 0...AgentSchema.maxTokensRange.upperBound)
                default: break
                }
            }
            if let argsNode {
                guard turn.tool != nil else {
                    throw d.error(.invalidValue, at: argsNode.mark, "\(turnField) has \"args\" but no \"tool\"", expected: "`tool:` naming the tool to call")
                }
                turn.args = try json(argsNode)
            }
            guard turn.say != nil || turn.tool != nil else {
                throw d.error(.missingKey, at: item.mark, "\(turnField) says nothing and calls nothing", expected: "`say:` or `tool:`")
            }
            turns.append(turn)
        }
        return turns
    }

    /// A YAML value as JSON, keeping mapping order.
    func json(_ node: YAMLNode) throws(JobError) -> JSON {
        switch node.kind {
        case .scalar:
            switch node.value {
            case .string(let s)?: return .string(s)
            case .int(let i)?: return .int(i)
            case .float(let f)?: return .double(f)
            case .bool(let b)?: return .bool(b)
            case .null?, nil: return .null
            }
        case .sequence(let items):
            var out: [JSON] = []
            for item in items { out.append(try json(item)) }
            return .array(out)
        case .mapping(let pairs):
            var out: [(String, JSON)] = []
            for pair in pairs { out.append((try d.keyName(pair.key, in: "args"), try json(pair.value))) }
            return .object(out)
        }
    }

    func git(_ node: YAMLNode) throws(JobError) -> GitSettings {
        let entries = try d.mapping(node, field: "git", expected: "a mapping of git settings (branch, commit, author)",
                                    allowed: AgentSchema.gitKeys)
        var git = GitSettings()
        for (key, pair) in entries {
            let v = pair.value
            switch key {
            case "branch":
                let branch = try d.string(v, field: "git branch", nonEmpty: true)
                guard Self.isSafeBranchTemplate(branch) else {
                    throw d.error(.invalidValue, at: v.mark, "git branch \(d.quoted(branch)) is not a valid branch name",
                                  expected: "a name like agent/{run}: no spaces, `..`, `~^:?*[\\`, leading `-` or trailing `/` or `.lock`")
                }
                git.branch = branch
            case "commit":
                git.commit = GitSettings.CommitMode(rawValue: try oneOf(v, field: "git commit",
                                                                        GitSettings.CommitMode.allCases.map(\.rawValue)))!
            case "author":
                let author = try d.mapping(v, field: "git author", expected: "a mapping with `name:` and `email:`",
                                           allowed: AgentSchema.authorKeys)
                for (k, p) in author {
                    if k == "name" { git.authorName = try d.string(p.value, field: "git author name", nonEmpty: true) }
                    else { git.authorEmail = try d.string(p.value, field: "git author email", nonEmpty: true) }
                }
            default: break
            }
        }
        return git
    }

    /// git's check-ref-format rules, on the template with `{run}` standing for a run id.
    static func isSafeBranchTemplate(_ t: String) -> Bool {
        let name = t.replacingOccurrences(of: "{run}", with: "r")
        if name.hasPrefix("-") || name.hasPrefix("/") || name.hasSuffix("/") || name.hasSuffix(".lock") || name.hasSuffix(".") { return false }
        if name.contains("..") || name.contains("//") || name.contains("@{") || name == "@" { return false }
        for c in name.unicodeScalars where c.value < 0x21 || c.value == 0x7F || "~^:?*[\\{}".unicodeScalars.contains(c) { return false }
        return !name.split(separator: "/").contains { $0.hasPrefix(".") }
    }
}
