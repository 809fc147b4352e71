import YAMLCore

/// The spool's agent defaults (`agent:` in config.yaml).
public struct AgentDefaults: Sendable, Equatable {
    /// Used by agent steps that name no provider.
    public var provider: String?
    public var maxSteps: Int = 30
    public var maxTokens: Int?
    /// Bytes of a tool result shown to the model and copied into its event; the whole result goes to an artifact.
    public var toolOutputCap: Int = 32768

    public init() {}
    static let keys = ["provider", "max_steps", "max_tokens", "tool_output_cap"]
}

/// One provider's connection settings (`providers.NAME:` in config.yaml). Secrets are never written here:
/// `api_key_env` names the environment variable that holds the key.
public struct ProviderSettings: Sendable, Equatable {
    public var baseURL: String?
    public var apiKeyEnv: String?
    public var model: String?
    public var toolMode: AgentSpec.ToolMode?
    /// Whole-request limit in seconds.
    public var timeout: Double = 300
    public var connectTimeout: Double = 10
    /// Abort when no byte arrives for this long.
    public var idleTimeout: Double = 120
    /// Attempts per request, counting the first.
    public var maxAttempts: Int = 4
    /// `max_tokens` / `maxOutputTokens` sent with each request.
    public var maxOutputTokens: Int = 4096
    public var stream: Bool = true
    /// Where the key goes: the provider's auth header, or a `key=` query parameter (Gemini only).
    public var apiKeyIn: KeyPlacement = .header
    /// How JSON tool mode asks an OpenAI-compatible server for JSON: `json_schema` (OpenAI, llama.cpp's server)
    /// or `json_object` with a `schema` (llama-cpp-python).
    public var jsonFormat = "json_schema"
    /// Native tool mode: require a tool call until the first tool result (`tool_choice` any/required). Small
    /// models otherwise often answer in prose at once; the server's grammar then keeps the call well formed.
    public var firstTurnTool = false

    public enum KeyPlacement: String, Sendable, CaseIterable { case header, query }

    public init() {}
    static let keys = ["base_url", "api_key_env", "api_key_in", "model", "tool_mode", "timeout", "connect_timeout", "idle_timeout",
                       "max_attempts", "max_output_tokens", "stream", "json_format",
                       "first_turn_tool"]
}

/// Who git commits are by (`git:` in config.yaml); a job's `git.author` wins.
public struct GitDefaults: Sendable, Equatable {
    public var authorName = "Agent Runner"
    public var authorEmail = "agent-runner@localhost"
    public init() {}
}

extension SpoolConfig {
    static func agentDefaults(_ node: YAMLNode, _ d: SchemaDecoder) throws(JobError) -> AgentDefaults {
        var a = AgentDefaults()
        for (key, pair) in try d.mapping(node, field: "agent", expected: "a mapping of agent defaults", allowed: AgentDefaults.keys) {
            let v = pair.value
            switch key {
            case "provider": a.provider = try AgentDecoder(d: d).oneOf(v, field: "agent provider", AgentSchema.providers)
            case "max_steps": a.maxSteps = try d.int(v, field: "agent max_steps", range: AgentSchema.maxStepsRange)
            case "max_tokens": a.maxTokens = try d.int(v, field: "agent max_tokens", range: AgentSchema.maxTokensRange)
            case "tool_output_cap": a.toolOutputCap = try d.int(v, field: "agent tool_output_cap", range: 256...(16 << 20))
            default: break
            }
        }
        return a
    }

    static func providers(_ node: YAMLNode, _ d: SchemaDecoder) throws(JobError) -> [String: ProviderSettings] {
        let names = AgentSchema.providers.filter { $0 != "scripted" }
        var out: [String: ProviderSettings] = [:]
        for (name, pair) in try d.mapping(node, field: "providers", expected: "a mapping of provider names to settings", allowed: names) {
            var p = ProviderSettings()
            let field = "providers.\(name)"
            for (key, kv) in try d.mapping(pair.value, field: field, expected: "a mapping of provider settings", allowed: ProviderSettings.keys) {
                let v = kv.value
                switch key {
                case "base_url":
                    let url = try d.string(v, field: "\(field) base_url", nonEmpty: true)
                    guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                        throw d.error(.invalidValue, at: v.mark, "\(field) base_url \(d.quoted(url)) is not an http(s) URL",
                                      expected: "a URL like http://127.0.0.1:8080")
                    }
                    p.baseURL = url
                case "api_key_env":
                    let env = try d.string(v, field: "\(field) api_key_env", nonEmpty: true)
                    guard JobDecoder.isEnvName(env) else {
                        throw d.error(.invalidValue, at: v.mark, "\(field) api_key_env must name an environment variable, not hold a key",
                                      expected: "a variable name such as OPENAI_API_KEY")
                    }
                    p.apiKeyEnv = env
                case "model": p.model = try d.string(v, field: "\(field) model", nonEmpty: true)
                case "tool_mode":
                    p.toolMode = AgentSpec.ToolMode(rawValue: try AgentDecoder(d: d).oneOf(v, field: "\(field) tool_mode",
                                                                                          AgentSpec.ToolMode.allCases.map(\.rawValue)))
                case "timeout": p.timeout = try d.duration(v, field: "\(field) timeout")
                case "connect_timeout": p.connectTimeout = try d.duration(v, field: "\(field) connect_timeout")
                case "idle_timeout": p.idleTimeout = try d.duration(v, field: "\(field) idle_timeout")
                case "max_attempts": p.maxAttempts = try d.int(v, field: "\(field) max_attempts", range: 1...20)
                case "max_output_tokens": p.maxOutputTokens = try d.int(v, field: "\(field) max_output_tokens", range: 1...1_000_000)
                case "stream": p.stream = try d.bool(v, field: "\(field) stream")
                case "first_turn_tool": p.firstTurnTool = try d.bool(v, field: "\(field) first_turn_tool")
                case "json_format": p.jsonFormat = try AgentDecoder(d: d).oneOf(v, field: "\(field) json_format", ["json_schema", "json_object"])
                case "api_key_in":
                    p.apiKeyIn = ProviderSettings.KeyPlacement(rawValue: try AgentDecoder(d: d).oneOf(v, field: "\(field) api_key_in", ["header", "query"]))!
                default: break
                }
            }
            out[name] = p
        }
        return out
    }

    static func gitDefaults(_ node: YAMLNode, _ d: SchemaDecoder) throws(JobError) -> GitDefaults {
        var g = GitDefaults()
        for (key, pair) in try d.mapping(node, field: "git", expected: "a mapping with `author_name` and `author_email`",
                                         allowed: ["author_name", "author_email"]) {
            let s = try d.string(pair.value, field: "git \(key)", nonEmpty: true)
            if key == "author_name" { g.authorName = s } else { g.authorEmail = s }
        }
        return g
    }
}
