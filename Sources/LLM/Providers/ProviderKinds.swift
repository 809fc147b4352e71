import JSONCore
/// The providers this module can build, by wire format. The set-up above it (which provider a job names,
/// its server, key and model) hands over plain values, so this module knows nothing of job files.
public enum Providers {
    /// A provider over HTTP speaking `wire` (`anthropic`, `openai`, `gemini` or `ollama`); nil for any other name.
    public static func http(wire: String, endpoint: Endpoint, mode: ToolCallMode, jsonObjectFormat: Bool = false) -> (any LLMProvider)? {
        let format: any WireFormat
        switch wire {
        case "anthropic": format = AnthropicFormat()
        case "openai": format = OpenAIFormat(jsonObjectFormat: jsonObjectFormat)
        case "gemini": format = GeminiFormat()
        case "ollama": format = OllamaFormat()
        default: return nil
        }
        return HTTPProvider(format: format, endpoint: endpoint, mode: mode)
    }

    /// Replays `turns` (the `scripted` provider).
    public static func scripted(_ turns: [ScriptedTurn]) -> any LLMProvider { ScriptedProvider(turns: turns) }
}

/// One model turn of the scripted provider: optional text, then optionally one tool call.
public struct ScriptedTurn: Sendable, Equatable {
    public var say: String?
    public var tool: String?
    public var args: JSON
    /// Tokens the turn reports as used (input + output).
    public var tokens: Int?

    public init(say: String? = nil, tool: String? = nil, args: JSON = .object([]), tokens: Int? = nil) {
        self.say = say
        self.tool = tool
        self.args = args
        self.tokens = tokens
    }
}
