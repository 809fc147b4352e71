import JSONCore

/// A tool the model may call: its name, what it does, and a JSON Schema for its arguments.
public struct ToolDefinition: Sendable, Equatable {
    public var name: String
    public var description: String
    public var parameters: JSON

    public init(name: String, description: String, parameters: JSON) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

public struct ToolCall: Sendable, Equatable {
    /// The provider's id, or one made up for providers that have none (Gemini, Ollama).
    public var id: String
    public var name: String
    public var arguments: JSON
    /// Gemini's `thoughtSignature`, which must be sent back with the call on the next turn.
    public var signature: String?

    public init(id: String, name: String, arguments: JSON, signature: String? = nil) {
        self.id = id
        self.name = name
        self.arguments = arguments
        self.signature = signature
    }
}

public struct ToolResult: Sendable, Equatable {
    public var callID: String
    public var name: String
    public var content: String
    public var isError: Bool

    public init(callID: String, name: String, content: String, isError: Bool) {
        self.callID = callID
        self.name = name
        self.content = content
        self.isError = isError
    }
}

/// One message of the provider-neutral conversation. Each provider renders it into its own wire shape.
public enum Message: Sendable, Equatable {
    case user(String)
    case assistant(text: String, calls: [ToolCall])
    case toolResults([ToolResult])
}

extension [Message] {
    /// True once a tool has run: JSON mode and `first_turn_tool` only let the model finish after that.
    public var hasToolResults: Bool { contains { if case .toolResults = $0 { return true }; return false } }
}

public struct Usage: Sendable, Equatable {
    public var input: Int
    public var output: Int
    public var total: Int { input + output }

    public init(input: Int = 0, output: Int = 0) {
        self.input = input
        self.output = output
    }

    public static func + (a: Usage, b: Usage) -> Usage { Usage(input: a.input + b.input, output: a.output + b.output) }
}

/// What the model answered in one turn.
public struct ModelTurn: Sendable, Equatable {
    public var text: String
    public var calls: [ToolCall]
    /// The provider's own reason (`end_turn`, `tool_use`, `stop`, `tool_calls`, `STOP`, …).
    public var stopReason: String?
    public var usage: Usage

    public init(text: String = "", calls: [ToolCall] = [], stopReason: String? = nil, usage: Usage = Usage()) {
        self.text = text
        self.calls = calls
        self.stopReason = stopReason
        self.usage = usage
    }
}

/// Everything one model request needs.
public struct ChatRequest: Sendable {
    public var model: String
    public var system: String?
    public var messages: [Message]
    public var tools: [ToolDefinition]
    public var maxOutputTokens: Int
    /// Ask the provider to answer with a tool call (`tool_choice` any/required, Gemini mode ANY).
    public var requireToolCall = false

    public init(model: String, system: String?, messages: [Message], tools: [ToolDefinition], maxOutputTokens: Int) {
        self.model = model
        self.system = system
        self.messages = messages
        self.tools = tools
        self.maxOutputTokens = maxOutputTokens
    }
}
