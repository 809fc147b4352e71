import YAMLCore

/// The spool's `config.yaml`: defaults for workers. Every key is optional.
public struct SpoolConfig: Sendable, Equatable {
    public var concurrency: Int = 2
    /// Seconds a lease lasts without a heartbeat.
    public var lease: Double = 30
    public var pollInterval: Double = 2
    public var maxAttempts: Int = 3
    /// Seconds an incomplete-looking job gets before it is rejected.
    public var grace: Double = 2
    /// Seconds a polled file must be unchanged before it is claimed.
    public var settle: Double = 1
    public var shutdownGrace: Double = 10
    public var killGrace: Double = 5
    /// Bytes of each step stream copied into events.
    public var outputEventCap: Int = 65536
    public var durability: Durability = .fsync

    public enum Durability: String, Sendable, CaseIterable { case fsync, none }

    public init() {}

    static let keys = ["concurrency", "lease", "poll_interval", "max_attempts", "grace", "settle", "shutdown_grace",
                       "kill_grace", "output_event_cap", "durability"]

    public static func load(_ bytes: [UInt8], file: String) throws(JobError) -> SpoolConfig {
        var config = SpoolConfig()
        if FileChecks.isBlank(bytes) { return config }
        try FileChecks.check(bytes, file: file, limit: JobLoader.maxFileSize, requireFinalNewline: false)
        guard let root = try JobLoader.parse(bytes, file: file) else { return config }
        let r = NodeReader(file: file)
        let f = try r.fields(root, of: "config.yaml", allowed: keys)
        if let v = f["concurrency"] { config.concurrency = try r.int(v.value, "concurrency", in: 1...256) }
        if let v = f["lease"] { config.lease = try r.duration(v.value, "lease", minimum: 0.5) }
        if let v = f["poll_interval"] { config.pollInterval = try r.duration(v.value, "poll_interval") }
        if let v = f["max_attempts"] { config.maxAttempts = try r.int(v.value, "max_attempts", in: 1...100) }
        if let v = f["grace"] { config.grace = try r.duration(v.value, "grace", allowZero: true) }
        if let v = f["settle"] { config.settle = try r.duration(v.value, "settle", allowZero: true) }
        if let v = f["shutdown_grace"] { config.shutdownGrace = try r.duration(v.value, "shutdown_grace", allowZero: true) }
        if let v = f["kill_grace"] { config.killGrace = try r.duration(v.value, "kill_grace", allowZero: true) }
        if let v = f["output_event_cap"] { config.outputEventCap = try r.int(v.value, "output_event_cap", in: 0...(64 << 20)) }
        if let v = f["durability"] {
            let s = try r.string(v.value, "durability")
            guard let d = Durability(rawValue: s) else {
                throw r.error(.invalidValue, v.value, "durability `\(s)` is not known", expected: "fsync or none")
            }
            config.durability = d
        }
        return config
    }
}
