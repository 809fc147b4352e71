import JSONCore

// The payloads of the event types that readers fold. Each lists its fields once (`fields`: the JSON key
// and the property it fills); `EventPayload.init(json:)` reads them. docs/events.md names every field.

extension EventType {
    /// `queued`: the run's name and where it came from.
    public struct Queued: EventPayload, Equatable {
        public static let type = EventType.queued
        public static let fields: [PayloadField<Self>] = [
            .field("name", to: \.name), .field("queued_at", to: \.queuedAt), .field("by", to: \.by),
            .field("previous", to: \.previous), .field("recovered_by", to: \.recoveredBy),
            .field("parent", to: \.parent), .field("step", to: \.step), .field("key", to: \.key), .field("depth", to: \.depth),
        ]
        public var name: String?
        /// The dropped file's mtime (absent for submitted runs: their `ts` is the queue time).
        public var queuedAt: String?
        public var by: String?
        public var previous: String?
        public var recoveredBy: String?
        /// A spawned child's parent run, the parent's step that spawned it, the spawn key, and how deep it is
        /// (a parent's own children are at depth 1).
        public var parent: String?
        public var step: Int?
        public var key: String?
        public var depth: Int?
        public init() {}
    }

    /// `child.spawned`: a child this run spawned.
    public struct ChildSpawned: EventPayload, Equatable {
        public static let type = EventType.childSpawned
        public static let fields: [PayloadField<Self>] = [
            .field("child", to: \.child), .field("step", to: \.step), .field("key", to: \.key),
        ]
        public var child: String?
        public var step: Int?
        public var key: String?
        public init() {}
    }

    /// `wait.released`: why a parked run went back to the queue.
    public struct WaitReleased: EventPayload, Equatable {
        public static let type = EventType.waitReleased
        public static let fields: [PayloadField<Self>] = [
            .field("step", to: \.step), .field("reason", to: \.reason), .field("finished", to: \.finished),
            .field("needed", to: \.needed),
        ]
        public var step: Int?
        public var reason: String?
        public var finished: Int?
        public var needed: Int?
        public init() {}
    }

    /// `claimed`: which worker holds the run, for which attempt.
    public struct Claimed: EventPayload, Equatable {
        public static let type = EventType.claimed
        public static let fields: [PayloadField<Self>] = [
            .field("attempt", to: \.attempt), .field("worker", to: \.worker), .field("host", to: \.host),
            .field("pid", to: \.pid), .field("claimed_at", to: \.claimedAt), .field("recovered_by", to: \.recoveredBy),
        ]
        public var attempt: Int?
        public var worker: String?
        public var host: String?
        public var pid: Int?
        public var claimedAt: String?
        public var recoveredBy: String?
        public init() {}
    }

    /// `requeued`: why the run went back to `new/`.
    public struct Requeued: EventPayload, Equatable {
        public static let type = EventType.requeued
        public static let fields: [PayloadField<Self>] = [
            .field("reason", to: \.reason), .field("next_attempt", to: \.nextAttempt), .field("by", to: \.by),
        ]
        public var reason: String?
        public var nextAttempt: Int?
        public var by: String?
        public init() {}
    }

    /// `retried`: the new run that continues this finished one.
    public struct Retried: EventPayload, Equatable {
        public static let type = EventType.retried
        public static let fields: [PayloadField<Self>] = [
            .field("next", to: \.next), .field("by", to: \.by), .field("reason", to: \.reason),
        ]
        public var next: String?
        public var by: String?
        public var reason: String?
        public init() {}
    }

    /// `started`: what this attempt read from the job file.
    public struct Started: EventPayload, Equatable {
        public static let type = EventType.started
        public static let fields: [PayloadField<Self>] = [
            .field("title", to: \.title), .field("attempt", to: \.attempt), .field("steps", to: \.steps),
            .field("priority", to: \.priority), .field("labels", to: \.labels), .field("job_bytes", to: \.jobBytes),
            .field("job_sha256", to: \.jobSHA256), .field("workspace", to: \.workspace),
        ]
        public var title: String?
        public var attempt: Int?
        public var steps: Int?
        public var priority: Int?
        /// Nil when the event has no `labels` array (a job without labels).
        public var labels: [String]?
        public var jobBytes: Int?
        public var jobSHA256: String?
        public var workspace: String?
        public init() {}
    }

    /// `step.started`: a shell step (`command`) or an agent step (`kind`, `provider`, `model`).
    public struct StepStarted: EventPayload, Equatable {
        public static let type = EventType.stepStarted
        public static let fields: [PayloadField<Self>] = [
            .field("step", to: \.step), .field("name", to: \.name), .field("command", to: \.command),
            .field("kind", to: \.kind), .field("provider", to: \.provider), .field("model", to: \.model),
            .field("line", to: \.line),
        ]
        public var step: Int?
        public var name: String?
        public var command: String?
        public var kind: String?
        public var provider: String?
        public var model: String?
        public var line: Int?
        public init() {}
        /// `agent` for a step without a command, else `run`: what the catalog shows.
        public var displayKind: String { command == nil ? "agent" : "run" }
    }

    /// `step.finished`: how a step ended (`error` when it could not start).
    public struct StepFinished: EventPayload, Equatable {
        public static let type = EventType.stepFinished
        public static let fields: [PayloadField<Self>] = [
            .field("step", to: \.step), .field("name", to: \.name), .field("ok", to: \.ok),
            .field("outcome", to: \.outcome), .field("error", to: \.error), .field("exit_code", to: \.exitCode),
            .field("duration", to: \.duration),
        ]
        public var step: Int?
        public var name: String?
        public var ok: Bool?
        public var outcome: String?
        public var error: String?
        public var exitCode: Int?
        public var duration: Double?
        public init() {}
    }

    /// `agent.started`: the provider and model an agent step talks to.
    public struct AgentStarted: EventPayload, Equatable {
        public static let type = EventType.agentStarted
        public static let fields: [PayloadField<Self>] = [
            .field("step", to: \.step), .field("provider", to: \.provider), .field("model", to: \.model),
        ]
        public var step: Int?
        public var provider: String?
        public var model: String?
        public init() {}
    }

    /// `llm.response`: one model turn and the tokens it cost.
    public struct LLMResponse: EventPayload {
        public static let type = EventType.llmResponse
        public static let fields: [PayloadField<Self>] = [
            .field("step", to: \.step), .field("turn", to: \.turn), .field("text", to: \.text),
            .field("tool_calls", to: \.toolCalls, default: []),
            .field("usage", "input", to: \.inputTokens, default: 0),
            .field("usage", "output", to: \.outputTokens, default: 0),
        ]
        public var step: Int?
        public var turn: Int?
        public var text: String?
        /// Each call's `id`, `name`, `arguments` and `signature`? as written.
        public var toolCalls: [JSON] = []
        public var inputTokens = 0
        public var outputTokens = 0
        public init() {}
    }

    /// `tool.result`: what a tool call returned to the model.
    public struct ToolResult: EventPayload, Equatable {
        public static let type = EventType.toolResult
        public static let fields: [PayloadField<Self>] = [
            .field("step", to: \.step), .field("turn", to: \.turn), .field("id", to: \.id),
            .field("name", to: \.name), .field("ok", to: \.ok), .field("content", to: \.content),
        ]
        public var step: Int?
        public var turn: Int?
        public var id: String?
        public var name: String?
        public var ok: Bool?
        public var content: String?
        public init() {}
    }

    /// `git.commit`: a commit on the run's branch.
    public struct GitCommit: EventPayload, Equatable {
        public static let type = EventType.gitCommit
        public static let fields: [PayloadField<Self>] = [
            .field("sha", to: \.sha), .field("branch", to: \.branch), .field("step", to: \.step),
            .field("turn", to: \.turn), .field("files", to: \.files),
        ]
        public var sha: String?
        public var branch: String?
        public var step: Int?
        public var turn: Int?
        public var files: JSON?
        public init() {}
    }

    /// `finished`: the run's end.
    public struct Finished: EventPayload, Equatable {
        public static let type = EventType.finished
        public static let fields: [PayloadField<Self>] = [
            .field("status", to: \.status), .field("duration", to: \.duration), .field("reason", to: \.reason),
            .field("branch", to: \.branch), .field("head", to: \.head), .field("recovered_by", to: \.recoveredBy),
        ]
        /// A `RunStatus` raw value: `succeeded`, `failed`, `stopped`, `rejected`.
        public var status: String?
        public var duration: Double?
        public var reason: String?
        public var branch: String?
        public var head: String?
        public var recoveredBy: String?
        public init() {}
    }
}
