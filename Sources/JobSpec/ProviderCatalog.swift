/// One provider a job may name, and what its server, key and model default to.
public struct ProviderInfo: Sendable, Equatable {
    public let name: String
    /// The vendor's public server; nil for `scripted`, which talks to nobody.
    public let defaultURL: String?
    /// The environment variable that points the provider at another server (OPENAI_BASE_URL, OLLAMA_HOST…).
    public let urlEnv: String?
    /// The environment variable that holds the key; nil where no key is needed.
    public let keyEnv: String?
    public let defaultModel: String
}

/// Every provider, named in this one place: the job schema, the worker's provider set-up, the key scrubbing
/// of step environments and the API's status and capabilities all read it.
public enum ProviderCatalog {
    public static let all: [ProviderInfo] = [
        ProviderInfo(name: "anthropic", defaultURL: "https://api.anthropic.com", urlEnv: "ANTHROPIC_BASE_URL",
                     keyEnv: "ANTHROPIC_API_KEY", defaultModel: "claude-sonnet-4-5"),
        ProviderInfo(name: "gemini", defaultURL: "https://generativelanguage.googleapis.com", urlEnv: "GEMINI_BASE_URL",
                     keyEnv: "GEMINI_API_KEY", defaultModel: "gemini-2.5-flash"),
        ProviderInfo(name: "ollama", defaultURL: "http://127.0.0.1:11434", urlEnv: "OLLAMA_HOST", keyEnv: nil, defaultModel: "llama3.1"),
        ProviderInfo(name: "openai", defaultURL: "https://api.openai.com", urlEnv: "OPENAI_BASE_URL",
                     keyEnv: "OPENAI_API_KEY", defaultModel: "gpt-4.1"),
        ProviderInfo(name: "scripted", defaultURL: nil, urlEnv: nil, keyEnv: nil, defaultModel: "script"),
    ]

    public static let names: [String] = all.map(\.name)

    public static func info(_ name: String) -> ProviderInfo? { all.first { $0.name == name } }

    /// Every environment variable that may hold a provider key: these are removed from step and tool environments.
    public static func keyVariables(_ config: SpoolConfig) -> [String] {
        var names = all.compactMap(\.keyEnv) + ["GOOGLE_API_KEY", "OLLAMA_API_KEY"]
        for (_, p) in config.providers.sorted(by: { $0.key < $1.key }) { if let e = p.apiKeyEnv, !names.contains(e) { names.append(e) } }
        return names
    }

    /// The server a provider talks to: config.yaml's `base_url`, else the vendor's environment variable,
    /// else the vendor's public URL. Nil for an unknown provider or `scripted`.
    public static func baseURL(_ name: String, settings: ProviderSettings, environment: [String: String]) -> String? {
        guard let d = info(name), let url = d.defaultURL else { return nil }
        var base = settings.baseURL ?? d.urlEnv.flatMap { environment[$0] }.flatMap { $0.isEmpty ? nil : $0 } ?? url
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
        for d in all {
            if let e = d.urlEnv, let v = environment[e], !v.isEmpty { names.insert(d.name) }
        }
        return names.sorted().compactMap { name in
            baseURL(name, settings: config.providers[name] ?? ProviderSettings(), environment: environment).map { (name, $0) }
        }
    }
}
