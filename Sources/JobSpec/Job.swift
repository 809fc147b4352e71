/// A job, schema version 1: a list of shell steps with their environment and limits.
public struct Job: Sendable, Equatable {
    public var version: Int = 1
    public var title: String?
    /// A folder relative to the spool (or absolute); created if missing. Default: `workspaces/RUN`.
    public var workspace: String?
    public var env: [String: String] = [:]
    /// Seconds for the whole run.
    public var timeout: Double?
    public var labels: [String] = []
    /// -1000…1000; higher is claimed first.
    public var priority: Int = 0
    /// Claims before a run whose worker keeps dying ends as failed (default: the spool's `max_attempts`).
    public var maxAttempts: Int?
    public var steps: [Step] = []

    public init() {}
}

public struct Step: Sendable, Equatable {
    public var name: String?
    /// A shell command, run as `/bin/sh -c run`.
    public var run: String
    /// Seconds for this step.
    public var timeout: Double?
    /// A failing step does not fail the run.
    public var continueOnError: Bool
    /// The line of the step in the job file.
    public var line: Int

    public init(name: String? = nil, run: String, timeout: Double? = nil, continueOnError: Bool = false, line: Int) {
        self.name = name
        self.run = run
        self.timeout = timeout
        self.continueOnError = continueOnError
        self.line = line
    }
}
