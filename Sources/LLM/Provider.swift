import JSONCore

/// Something that answers a chat request with one model turn.
public protocol LLMProvider: Sendable {
    var name: String { get }
    /// Sends one request (with retries). Cancelling the calling task aborts a transfer in flight.
    func complete(_ request: ChatRequest, notify: @escaping @Sendable (ProviderNotice) -> Void) async throws(LLMError) -> ModelTurn
}

/// Things a provider reports while it works, so the run's events can show them.
public enum ProviderNotice: Sendable {
    /// A retryable failure; the next attempt starts after `delay` seconds.
    case retry(attempt: Int, status: Int?, delay: Double, message: String)
}

/// A provider's resolved connection: where, with which key, and the limits.
public struct Endpoint: Sendable {
    public var provider: String
    public var baseURL: String
    /// Never logged; only sent in the provider's auth header.
    public var apiKey: String?
    public var connectTimeout: Double = 10
    public var timeout: Double = 300
    public var idleTimeout: Double = 120
    public var maxAttempts: Int = 4
    public var stream: Bool = true
    /// Send the key as `?key=` instead of a header (Gemini accepts both; some stand-ins only the query).
    public var keyInQuery = false
    /// Seconds between attempts start at this (tests make it small).
    public var retryBase: Double = 0.5
    public var retryCap: Double = 30

    public init(provider: String, baseURL: String, apiKey: String?) {
        self.provider = provider
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
    }
}

/// How tool calls travel.
public enum ToolCallMode: String, Sendable {
    /// The provider's own tool API.
    case native
    /// Tools described in the system prompt; the model answers with JSON `{"name": …, "arguments": {…}}`,
    /// constrained by a JSON schema where the server supports it. For models without native tool calling.
    case json
}
