import JSONCore

/// The fields of one event type, read from the event's JSON. Every field is optional or defaulted, as
/// the reader of an older or partly written log needs; the JSON on disk stays exactly what the writer
/// wrote (these types only read it).
public protocol EventPayload: Sendable {
    static var type: EventType { get }
    init(json: JSON)
}

extension EventType {
    /// `queued`: the run's name and where it came from.
    public struct Queued: EventPayload, Equatable {
        public static let type = EventType.queued
        public var name: String?
        /// The dropped file's mtime (absent for submitted runs: their `ts` is the queue time).
        public var queuedAt: String?
        public var by: String?
        public var previous: String?
        public var recoveredBy: String?
        public init(json: JSON) {
            name = json["name"]?.stringValue
            queuedAt = json["queued_at"]?.stringValue
            by = json["by"]?.stringValue
            previous = json["previous"]?.stringValue
            recoveredBy = json["recovered_by"]?.stringValue
        }
    }

    /// `claimed`: which worker holds the run, for which attempt.
    public struct Claimed: EventPayload, Equatable {
        public static let type = EventType.claimed
        public var attempt: Int?
        public var worker: String?
        public var host: String?
        public var pid: Int?
        public var claimedAt: String?
        public var recoveredBy: String?
        public init(json: JSON) {
            attempt = json["attempt"]?.intValue
            worker = json["worker"]?.stringValue
            host = json["host"]?.stringValue
            pid = json["pid"]?.intValue
            claimedAt = json["claimed_at"]?.stringValue
            recoveredBy = json["recovered_by"]?.stringValue
        }
    }

    /// `requeued`: why the run went back to `new/`.
    public struct Requeued: EventPayload, Equatable {
        public static let type = EventType.requeued
        public var reason: String?
        public var nextAttempt: Int?
        public var by: String?
        public init(json: JSON) {
            reason = json["reason"]?.stringValue
            nextAttempt = json["next_attempt"]?.intValue
            by = json["by"]?.stringValue
        }
    }

    /// `retried`: the new run that continues this finished one.
    public struct Retried: EventPayload, Equatable {
        public static let type = EventType.retried
        public var next: String?
        public var by: String?
        public var reason: String?
        public init(json: JSON) {
            next = json["next"]?.stringValue
            by = json["by"]?.stringValue
            reason = json["reason"]?.stringValue
        }
    }

    /// `started`: what this attempt read from the job file.
    public struct Started: EventPayload, Equatable {
        public static let type = EventType.started
        public var title: String?
        public var attempt: Int?
        public var steps: Int?
        public var priority: Int?
        /// Nil when the event has no `labels` array (a job without labels).
        public var labels: [String]?
        public var jobBytes: Int?
        public var jobSHA256: String?
        public var workspace: String?
        public init(json: JSON) {
            title = json["title"]?.stringValue
            attempt = json["attempt"]?.intValue
            steps = json["steps"]?.intValue
            priority = json["priority"]?.intValue
            labels = json["labels"]?.arrayValue?.compactMap(\.stringValue)
            jobBytes = json["job_bytes"]?.intValue
            jobSHA256 = json["job_sha256"]?.stringValue
            workspace = json["workspace"]?.stringValue
        }
    }

    /// `step.started`: a shell step (`command`) or an agent step (`kind`, `provider`, `model`).
    public struct StepStarted: EventPayload, Equatable {
        public static let type = EventType.stepStarted
        public var step: Int?
        public var name: String?
        public var command: String?
        public var kind: String?
        public var provider: String?
        public var model: String?
        public var line: Int?
        public init(json: JSON) {
            step = json["step"]?.intValue
            name = json["name"]?.stringValue
            command = json["command"]?.stringValue
            kind = json["kind"]?.stringValue
            provider = json["provider"]?.stringValue
            model = json["model"]?.stringValue
            line = json["line"]?.intValue
        }
        /// `agent` for a step without a command, else `run`: what the catalog shows.
        public var displayKind: String { command == nil ? "agent" : "run" }
    }

    /// `step.finished`: how a step ended (`error` when it could not start).
    public struct StepFinished: EventPayload, Equatable {
        public static let type = EventType.stepFinished
        public var step: Int?
        public var name: String?
        public var ok: Bool?
        public var outcome: String?
        public var error: String?
        public var exitCode: Int?
        public var duration: Double?
        public init(json: JSON) {
            step = json["step"]?.intValue
            name = json["name"]?.stringValue
            ok = json["ok"]?.boolValue
            outcome = json["outcome"]?.stringValue
            error = json["error"]?.stringValue
            exitCode = json["exit_code"]?.intValue
            duration = json["duration"]?.doubleValue
        }
    }

    /// `agent.started`: the provider and model an agent step talks to.
    public struct AgentStarted: EventPayload, Equatable {
        public static let type = EventType.agentStarted
        public var step: Int?
        public var provider: String?
        public var model: String?
        public init(json: JSON) {
            step = json["step"]?.intValue
            provider = json["provider"]?.stringValue
            model = json["model"]?.stringValue
        }
    }

    /// `llm.response`: one model turn and the tokens it cost.
    public struct LLMResponse: EventPayload {
        public static let type = EventType.llmResponse
        public var step: Int?
        public var turn: Int?
        public var text: String?
        /// Each call's `id`, `name`, `arguments` and `signature`? as written.
        public var toolCalls: [JSON]
        public var inputTokens: Int
        public var outputTokens: Int
        public init(json: JSON) {
            step = json["step"]?.intValue
            turn = json["turn"]?.intValue
            text = json["text"]?.stringValue
            toolCalls = json["tool_calls"]?.arrayValue ?? []
            inputTokens = json["usage"]?["input"]?.intValue ?? 0
            outputTokens = json["usage"]?["output"]?.intValue ?? 0
        }
    }

    /// `tool.result`: what a tool call returned to the model.
    public struct ToolResult: EventPayload, Equatable {
        public static let type = EventType.toolResult
        public var step: Int?
        public var turn: Int?
        public var id: String?
        public var name: String?
        public var ok: Bool?
        public var content: String?
        public init(json: JSON) {
            step = json["step"]?.intValue
            turn = json["turn"]?.intValue
            id = json["id"]?.stringValue
            name = json["name"]?.stringValue
            ok = json["ok"]?.boolValue
            content = json["content"]?.stringValue
        }
    }

    /// `git.commit`: a commit on the run's branch.
    public struct GitCommit: EventPayload, Equatable {
        public static let type = EventType.gitCommit
        public var sha: String?
        public var branch: String?
        public var step: Int?
        public var turn: Int?
        public var files: JSON?
        public init(json: JSON) {
            sha = json["sha"]?.stringValue
            branch = json["branch"]?.stringValue
            step = json["step"]?.intValue
            turn = json["turn"]?.intValue
            files = json["files"]
        }
    }

    /// `finished`: the run's end.
    public struct Finished: EventPayload, Equatable {
        public static let type = EventType.finished
        /// A `RunStatus` raw value: `succeeded`, `failed`, `stopped`, `rejected`.
        public var status: String?
        public var duration: Double?
        public var reason: String?
        public var branch: String?
        public var head: String?
        public var recoveredBy: String?
        public init(json: JSON) {
            status = json["status"]?.stringValue
            duration = json["duration"]?.doubleValue
            reason = json["reason"]?.stringValue
            branch = json["branch"]?.stringValue
            head = json["head"]?.stringValue
            recoveredBy = json["recovered_by"]?.stringValue
        }
    }
}
