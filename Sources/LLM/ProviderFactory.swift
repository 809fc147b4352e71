import JobSpec

/// Turns a job's agent step plus the spool's config and the environment into a ready provider.
public enum ProviderFactory {
    public struct Resolved: Sendable {
        public var provider: any LLMProvider
        public var model: String
        public var mode: ToolCallMode
        public var maxOutputTokens: Int
        /// Values that must never appear in events (the API key).
        public var secrets: [String]
        /// Require a tool call until the first tool result (provider setting `first_turn_tool`).
        public var requireFirstToolCall = false
    }

    static let defaults: [String: (url: String, urlEnv: String?, keyEnv: String?, model: String)] = [
        "anthropic": ("https://api.anthropic.com", "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "claude-sonnet-4-5"),
        "openai": ("https://api.openai.com", "OPENAI_BASE_URL", "OPENAI_API_KEY", "gpt-4.1"),
        "gemini": ("https://generativelanguage.googleapis.com", "GEMINI_BASE_URL", "GEMINI_API_KEY", "gemini-2.5-flash"),
        "ollama": ("http://127.0.0.1:11434", "OLLAMA_HOST", nil, "llama3.1"),
    ]

    /// Every environment variable that may hold a provider key: these are removed from step and tool environments.
    public static func keyVariables(_ config: SpoolConfig) -> [String] {
        var names = ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OLLAMA_API_KEY"]
        for (_, p) in config.providers { if let e = p.apiKeyEnv, !names.contains(e) { names.append(e) } }
        return names
    }

    /// The server a provider talks to: config.yaml's `base_url`, else the vendor's environment variable,
    /// else the vendor's public URL. Nil for an unknown provider or `scripted`.
    public static func baseURL(_ name: String, settings: ProviderSettings, environment: [String: String]) -> String? {
        guard let d = defaults[name] else { return nil }
        var base = settings.baseURL ?? d.urlEnv.flatMap { environment[$0] }.flatMap { $0.isEmpty ? nil : $0 } ?? d.url
        if !base.hasPrefix("http://") && !base.hasPrefix("https://") { base = "http://" + base }  // OLLAMA_HOST=127.0.0.1:11434
        while base.hasSuffix("/") { base.removeLast() }
        if name == "openai" && base.hasSuffix("/v1") { base.removeLast(3) }  // OPENAI_BASE_URL conventionally ends in /v1
        return base
    }

    /// The providers this spool is set up to use, with their servers: those named in config.yaml
    /// (`providers:` or `agent.provider`) and those whose URL variable is set (OPENAI_BASE_URL…).
    public static func configured(_ config: SpoolConfig, environment: [String: String]) -> [(name: String, url: String)] {
        var names = Set(config.providers.keys)
        if let p = config.agent.provider { names.insert(p) }
        for (name, d) in defaults {
            if let e = d.urlEnv, let v = environment[e], !v.isEmpty { names.insert(name) }
        }
        return names.sorted().compactMap { name in
            baseURL(name, settings: config.providers[name] ?? ProviderSettings(), environment: environment).map { (name, $0) }
        }
    }

    public static func make(_ spec: AgentSpec, config: SpoolConfig, environment: [String: String],
                            retryBase: Double = 0.5) throws(LLMError) -> Resolved {
        guard let name = spec.provider ?? config.agent.provider else {
            throw .configuration(provider: "agent", message: "the step names no provider and config.yaml sets no agent.provider; "
                                 + "add `provider:` (anthropic, gemini, ollama, openai or scripted)")
        }
        let settings = config.providers[name] ?? ProviderSettings()
        if name == "scripted" {
            return Resolved(provider: ScriptedProvider(turns: spec.script ?? []), model: spec.model ?? "script",
                            mode: .native, maxOutputTokens: settings.maxOutputTokens, secrets: [])
        }
        guard let d = defaults[name] else { throw .configuration(provider: name, message: "unknown provider") }
        let format: any WireFormat
        switch name {
        case "anthropic": format = AnthropicFormat()
        case "openai": format = OpenAIFormat(jsonObjectFormat: settings.jsonFormat == "json_object")
        case "gemini": format = GeminiFormat()
        default: format = OllamaFormat()
        }
        let base = baseURL(name, settings: settings, environment: environment) ?? d.url
        let keyEnv = settings.apiKeyEnv ?? d.keyEnv
        let key = keyEnv.flatMap { environment[$0] }.flatMap { $0.isEmpty ? nil : $0 }
        if key == nil, base == d.url, let keyEnv {
            throw .configuration(provider: name, message: "no API key: set \(keyEnv) in the worker's environment "
                                 + "(or point providers.\(name).base_url at a server that needs none)")
        }
        var endpoint = Endpoint(provider: name, baseURL: base, apiKey: key)
        endpoint.connectTimeout = settings.connectTimeout
        endpoint.timeout = settings.timeout
        endpoint.idleTimeout = settings.idleTimeout
        endpoint.maxAttempts = settings.maxAttempts
        endpoint.stream = settings.stream
        endpoint.keyInQuery = settings.apiKeyIn == .query
        endpoint.retryBase = retryBase
        let mode: ToolCallMode = (spec.toolMode ?? settings.toolMode) == .json ? .json : .native
        return Resolved(provider: HTTPProvider(format: format, endpoint: endpoint, mode: mode),
                        model: spec.model ?? settings.model ?? d.model, mode: mode,
                        maxOutputTokens: settings.maxOutputTokens, secrets: key.map { [$0] } ?? [],
                        requireFirstToolCall: settings.firstTurnTool)
    }
}
