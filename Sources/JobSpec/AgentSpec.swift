import JSONCore

/// An `agent:` step: one LLM tool loop in the run's workspace. See docs/job-format.md.
public struct AgentSpec: Sendable, Equatable {
    /// `anthropic`, `gemini`, `ollama`, `openai` or `scripted`; nil means the spool's `agent.provider`.
    public var provider: String?
    /// nil means the provider's configured default model.
    public var model: String?
    public var system: String?
    public var prompt: String
    /// Tool names the model may call; nil means `AgentSchema.defaultTools`.
    public var tools: [String]?
    /// Model turns (requests) this step may take; nil means the spool's `agent.max_steps`.
    public var maxSteps: Int?
    /// Token budget (input + output) over the whole run; nil means the spool's `agent.max_tokens`.
    public var maxTokens: Int?
    /// How tool calls travel: the provider's native tool API, or JSON-schema-constrained output.
    public var toolMode: ToolMode?
    /// The turns a `scripted` provider replays.
    public var script: [ScriptTurn]?

    public enum ToolMode: String, Sendable, CaseIterable { case native, json }

    public init(provider: String? = nil, model: String? = nil, system: String? = nil, prompt: String,
                tools: [String]? = nil, maxSteps: Int? = nil, maxTokens: Int? = nil, toolMode: ToolMode? = nil,
                script: [ScriptTurn]? = nil) {
        self.provider = provider
        self.model = model
        self.system = system
        self.prompt = prompt
        self.tools = tools
        self.maxSteps = maxSteps
        self.maxTokens = maxTokens
        self.toolMode = toolMode
        self.script = script
    }
}

/// One model turn of a `scripted` provider: optional text, then optionally one tool call.
public struct ScriptTurn: Sendable, Equatable {
    public var say: String?
    public var tool: String?
    public var args: JSON
    /// Tokens this turn reports as used (input + output), so budgets can be tested offline.
    public var tokens: Int?
    public var line: Int

    public init(say: String? = nil, tool: String? = nil, args: JSON = .object([]), tokens: Int? = nil, line: Int) {
        self.say = say
        self.tool = tool
        self.args = args
        self.tokens = tokens
        self.line = line
    }
}

/// The job's `git:` settings: how an agent run's work is committed.
public struct GitSettings: Sendable, Equatable {
    /// Branch name template; `{run}` becomes the run id.
    public var branch: String = "agent/{run}"
    public var commit: CommitMode = .step
    public var authorName: String?
    public var authorEmail: String?

    public enum CommitMode: String, Sendable, CaseIterable {
        /// After every step that changed files.
        case step
        /// Once, when the run ends.
        case end
        /// No git at all: steps run in the workspace itself.
        case off
    }

    public init(branch: String = "agent/{run}", commit: CommitMode = .step, authorName: String? = nil, authorEmail: String? = nil) {
        self.branch = branch
        self.commit = commit
        self.authorName = authorName
        self.authorEmail = authorEmail
    }
}

/// Names the agent schema knows.
public enum AgentSchema {
    public static var providers: [String] { ProviderCatalog.names }
    public static var tools: [String] { ToolCatalog.names }
    /// Network access is opt-in: `fetch_url` is only available when a job lists it.
    public static var defaultTools: [String] { ToolCatalog.defaultNames }
    public static let agentKeys = ["provider", "model", "system", "prompt", "tools", "max_steps", "max_tokens", "tool_mode", "script"]
    public static let scriptKeys = ["say", "tool", "args", "tokens"]
    public static let gitKeys = ["branch", "commit", "author"]
    public static let authorKeys = ["name", "email"]
    public static let maxStepsRange = 1...1000
    public static let maxTokensRange = 1...100_000_000
}
