import JobSpec
import JSONCore
import LLM

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

    public static func make(_ spec: AgentSpec, config: SpoolConfig, environment: [String: String],
                            retryBase: Double = 0.5) throws(LLMError) -> Resolved {
        guard let name = spec.provider ?? config.agent.provider else {
            throw .configuration(provider: "agent", message: "the step names no provider and config.yaml sets no agent.provider; "
                                 + "add `provider:` (\(ProviderCatalog.names.joined(separator: ", ")))")
        }
        let settings = config.providers[name] ?? ProviderSettings()
        guard let d = ProviderCatalog.info(name) else { throw .configuration(provider: name, message: "unknown provider") }
        if name == "scripted" {
            let turns = (spec.script ?? []).map { ScriptedTurn(say: $0.say, tool: $0.tool, args: $0.args, tokens: $0.tokens) }
            return Resolved(provider: Providers.scripted(turns), model: spec.model ?? d.defaultModel,
                            mode: .native, maxOutputTokens: settings.maxOutputTokens, secrets: [])
        }
        guard let url = d.defaultURL else { throw .configuration(provider: name, message: "unknown provider") }
        let base = ProviderCatalog.baseURL(name, settings: settings, environment: environment) ?? url
        let keyEnv = settings.apiKeyEnv ?? d.keyEnv
        let key = keyEnv.flatMap { environment[$0] }.flatMap { $0.isEmpty ? nil : $0 }
        if key == nil, base == url, let keyEnv {
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
        guard let provider = Providers.http(wire: name, endpoint: endpoint, mode: mode, jsonObjectFormat: settings.jsonFormat == "json_object") else {
            throw .configuration(provider: name, message: "unknown provider")
        }
        return Resolved(provider: provider, model: spec.model ?? settings.model ?? d.defaultModel, mode: mode,
                        maxOutputTokens: settings.maxOutputTokens, secrets: key.map { [$0] } ?? [],
                        requireFirstToolCall: settings.firstTurnTool)
    }
}
