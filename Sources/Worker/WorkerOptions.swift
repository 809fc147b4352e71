import JobSpec
import SpoolCore

/// How a worker process behaves; the spool's config.yaml gives the defaults, flags override them.
public struct WorkerOptions: Sendable {
    public var config: SpoolConfig
    public var watch: WatchMode
    /// Exit once `new/` is empty and every claimed run has finished.
    public var drain: Bool
    /// Claim and finish runs without executing their steps (for benchmarks of the queue itself).
    public var claimOnly: Bool

    public init(config: SpoolConfig, watch: WatchMode = .inotify, drain: Bool = false, claimOnly: Bool = false) {
        self.config = config
        self.watch = watch
        self.drain = drain
        self.claimOnly = claimOnly
    }
}
