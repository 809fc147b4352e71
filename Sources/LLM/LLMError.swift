/// Why a model request failed. Messages name the provider and never contain an API key.
public enum LLMError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered with an HTTP error status that retrying does not fix (4xx), or retries ran out.
    case http(provider: String, status: Int, message: String)
    /// No answer: connection refused, timeout, a stream cut short — after the last retry.
    case unavailable(provider: String, message: String)
    /// The answer arrived but does not follow the provider's documented shape.
    case malformed(provider: String, message: String)
    /// The run was stopped while the request was in flight.
    case cancelled
    /// Configuration is missing or wrong (no API key, no base URL, no model).
    case configuration(provider: String, message: String)

    public var description: String {
        switch self {
        case .http(let p, let status, let message):
            var hint = ""
            if status == 401 || status == 403 { hint = "; check the API key variable named in config.yaml (providers.\(p).api_key_env)" }
            if status == 404 { hint = "; check the model name and the base URL" }
            return "\(p) answered HTTP \(status): \(message)\(hint)"
        case .unavailable(let p, let message): return "\(p) is unavailable: \(message)"
        case .malformed(let p, let message): return "\(p) sent an answer that cannot be read: \(message)"
        case .cancelled: return "the model request was cancelled"
        case .configuration(let p, let message): return "\(p) is not configured: \(message)"
        }
    }

    /// Worth another attempt: rate limits, server errors, cut streams, connection trouble.
    var isRetryable: Bool {
        switch self {
        case .http(_, let status, _): return status == 408 || status == 429 || status >= 500
        case .unavailable, .malformed: return true
        case .cancelled, .configuration: return false
        }
    }

    /// The same error with every occurrence of each secret replaced.
    func redacting(_ secrets: [String]) -> LLMError {
        func r(_ s: String) -> String { Redaction.redact(s, secrets) }
        switch self {
        case .http(let p, let status, let m): return .http(provider: p, status: status, message: r(m))
        case .unavailable(let p, let m): return .unavailable(provider: p, message: r(m))
        case .malformed(let p, let m): return .malformed(provider: p, message: r(m))
        case .configuration(let p, let m): return .configuration(provider: p, message: r(m))
        case .cancelled: return self
        }
    }
}

/// Removes secret values from text that may reach events or logs.
public enum Redaction {
    public static func redact(_ text: String, _ secrets: [String]) -> String {
        var out = text
        for s in secrets where s.count >= 4 { out = out.replacingOccurrences(of: s, with: "[redacted]") }
        return out
    }
}
