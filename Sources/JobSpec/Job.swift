/// A job file (schema v1), decoded by `JobLoader.load`. See docs/job-format.md.
public struct Job: Sendable, Equatable {
    /// Schema version; only 1 exists.
    public var version: Int = 1
    public var title: String?
    /// Working folder: relative to the spool root (recommended) or absolute; nil means a fresh `workspaces/<run id>` folder.
    public var workspace: String?
    /// Extra environment variables for every step.
    public var env: [String: String] = [:]
    /// Whole-job time limit in seconds.
    public var timeout: Double?
    public var labels: [String] = []
    /// -1000...1000; higher runs first.
    public var priority: Int = 0
    /// 1...100; nil means the spool's `max_attempts`.
    public var maxAttempts: Int?
    /// May be empty: a no-op job.
    public var steps: [Step] = []
    /// nil: the job has no `git:` key (agent steps still commit, with the defaults).
    public var git: GitSettings?

    /// True when any step is an agent step.
    public var hasAgentSteps: Bool { steps.contains { $0.agent != nil } }

    public init(version: Int = 1, title: String? = nil, workspace: String? = nil, env: [String: String] = [:],
                timeout: Double? = nil, labels: [String] = [], priority: Int = 0, maxAttempts: Int? = nil,
                steps: [Step] = []) {
        self.version = version
        self.title = title
        self.workspace = workspace
        self.env = env
        self.timeout = timeout
        self.labels = labels
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.steps = steps
    }
}

/// One step of a job: a shell command, an agent loop, or a wait for the run's children.
public struct Step: Sendable, Equatable {
    public var name: String?
    public var action: Action
    /// Step time limit in seconds.
    public var timeout: Double?
    /// A failing step does not fail the job.
    public var continueOnError: Bool
    /// 1-based line of the step's mapping in the job file.
    public var line: Int

    public enum Action: Sendable, Equatable {
        /// A shell command; never empty.
        case shell(String)
        case agent(AgentSpec)
        /// Park the run (no worker slot, no lease) until its children are finished.
        case wait(WaitMode)
    }

    /// How many of the children a run spawned so far a `wait:` step waits for.
    public enum WaitMode: Sendable, Equatable, CustomStringConvertible {
        case all, any
        case atLeast(Int)
        public var description: String {
            switch self {
            case .all: "all"
            case .any: "any"
            case .atLeast(let n): "\(n)"
            }
        }
        /// How many of `total` children must have finished.
        public func needed(of total: Int) -> Int {
            switch self {
            case .all: total
            case .any: min(1, total)
            case .atLeast(let n): min(n, total)
            }
        }
    }

    /// A `wait:` step without a `timeout:` gives up after this long: no wait hangs for ever.
    public static let defaultWaitTimeout: Double = 3600

    /// The shell command, for a shell step.
    public var run: String? { if case .shell(let c) = action { return c }; return nil }
    /// The agent settings, for an agent step.
    public var agent: AgentSpec? { if case .agent(let a) = action { return a }; return nil }
    /// The wait mode, for a `wait:` step.
    public var wait: WaitMode? { if case .wait(let w) = action { return w }; return nil }

    public init(name: String? = nil, run: String, timeout: Double? = nil, continueOnError: Bool = false, line: Int) {
        self.init(name: name, action: .shell(run), timeout: timeout, continueOnError: continueOnError, line: line)
    }

    public init(name: String? = nil, action: Action, timeout: Double? = nil, continueOnError: Bool = false, line: Int) {
        self.name = name
        self.action = action
        self.timeout = timeout
        self.continueOnError = continueOnError
        self.line = line
    }
}
