import YAMLCore

/// The spool's `config.yaml`. Every key is optional; an empty file (or one with only comments) means the defaults.
public struct SpoolConfig: Sendable, Equatable {
    /// Runs at once, 1...256.
    public var concurrency: Int = 2
    /// Seconds a run's lease lasts without a heartbeat; at least 1.
    public var lease: Double = 30
    /// Seconds between full scans of new/; greater than 0.
    public var pollInterval: Double = 2
    /// Attempts per job unless the job says otherwise, 1...100.
    public var maxAttempts: Int = 3
    /// Seconds an incomplete-looking job file must stay unchanged before it is read again.
    public var grace: Double = 2
    /// Seconds a new job file must be untouched before it is claimed.
    public var settle: Double = 1
    /// Seconds running steps get on shutdown before they are stopped.
    public var shutdownGrace: Double = 10
    /// Seconds between SIGTERM and SIGKILL when a step is stopped.
    public var killGrace: Double = 5
    /// Bytes of step output copied into each `step.output` event.
    public var outputEventCap: Int = 65536
    public var durability: Durability = .fsync
    /// Absolute folders a job's `workspace:` must lie inside (the spool always counts); nil allows any folder.
    public var workspaceRoots: [String]?
    public var agent = AgentDefaults()
    public var providers: [String: ProviderSettings] = [:]
    public var git = GitDefaults()
    public var api = APISettings()
    public var forgejo: ServiceSettings?
    public var taiga: ServiceSettings?

    public enum Durability: String, Sendable {
        case fsync, none
    }

    public init() {}

    public static let keys = ["concurrency", "lease", "poll_interval", "max_attempts", "grace", "settle",
                              "shutdown_grace", "kill_grace", "output_event_cap", "durability", "workspace_roots",
                              "agent", "providers", "git", "api", "forgejo", "taiga"]

    public static func load(_ bytes: [UInt8], file: String) throws(JobError) -> SpoolConfig {
        try TextChecks.checkSize(bytes, file: file, what: "config.yaml")
        var config = SpoolConfig()
        if TextChecks.isBlank(bytes) { return config }
        try TextChecks.checkUTF8(bytes, file: file)
        guard let root = try JobLoader.parseYAML(bytes, file: file) else { return config }
        if case .null? = root.value { return config }
        let d = SchemaDecoder(file: file)
        let entries = try d.mapping(root, field: "config.yaml", expected: "a mapping of spool settings", allowed: keys)
        for (key, pair) in entries {
            let v = pair.value
            switch key {
            case "concurrency": config.concurrency = try d.int(v, field: key, range: 1...256)
            case "lease": config.lease = try d.duration(v, field: key, minimum: 1, positive: false)
            case "poll_interval": config.pollInterval = try d.duration(v, field: key)
            case "max_attempts": config.maxAttempts = try d.int(v, field: key, range: JobSchema.maxAttemptsRange)
            case "grace": config.grace = try d.duration(v, field: key, positive: false)
            case "settle": config.settle = try d.duration(v, field: key, positive: false)
            case "shutdown_grace": config.shutdownGrace = try d.duration(v, field: key, positive: false)
            case "kill_grace": config.killGrace = try d.duration(v, field: key, positive: false)
            case "output_event_cap": config.outputEventCap = try d.int(v, field: key, range: 0...(16 << 20))
            case "durability": config.durability = try durability(v, d)
            case "workspace_roots": config.workspaceRoots = try workspaceRoots(v, d)
            case "agent": config.agent = try agentDefaults(v, d)
            case "providers": config.providers = try providers(v, d)
            case "git": config.git = try gitDefaults(v, d)
            case "api": config.api = try apiSettings(v, d)
            case "forgejo": config.forgejo = try serviceSettings(v, d, name: "forgejo")
            case "taiga": config.taiga = try serviceSettings(v, d, name: "taiga")
            default: break
            }
        }
        return config
    }

    static func workspaceRoots(_ node: YAMLNode, _ d: SchemaDecoder) throws(JobError) -> [String] {
        let expected = "a list of absolute folder paths, e.g. [/srv/repos]"
        guard let items = node.sequence else { throw d.wrongType(node, field: "workspace_roots", expected: expected) }
        var roots: [String] = []
        for item in items {
            let root = try d.string(item, field: "each workspace root", nonEmpty: true)
            guard root.hasPrefix("/") else {
                throw d.error(.invalidValue, at: item.mark, "workspace root \(d.quoted(root)) is not an absolute path",
                              expected: "an absolute path such as /srv/repos (the spool root always counts as a root)")
            }
            roots.append(root)
        }
        return roots
    }

    static func durability(_ node: YAMLNode, _ d: SchemaDecoder) throws(JobError) -> Durability {
        let expected = "fsync or none"
        let text = try d.string(node, field: "durability")
        guard let value = Durability(rawValue: text) else {
            throw d.error(.invalidValue, at: node.mark, "durability \(d.quoted(text)) is not known", expected: expected)
        }
        return value
    }
}
