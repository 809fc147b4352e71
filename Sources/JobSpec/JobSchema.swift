/// The keys of job schema v1. docs/job.schema.json must list exactly these (a test checks it).
public enum JobSchema {
    public static let version = 1
    public static let jobKeys = ["version", "title", "workspace", "env", "timeout", "labels", "priority", "max_attempts", "steps",
                                 "agent", "prompt", "git"]
    public static let stepKeys = ["name", "run", "agent", "wait", "timeout", "continue_on_error"]
    /// Planned for a later schema revision; rejected as `.unsupported` for now.
    public static let reservedJobKeys: Set<String> = ["after"]
    public static let reservedStepKeys: Set<String> = []
    public static let priorityRange = -1000...1000
    public static let maxAttemptsRange = 1...100
}
