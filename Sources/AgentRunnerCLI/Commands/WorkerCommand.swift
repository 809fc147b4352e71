import ArgumentParser
import Foundation
import JobSpec
import Logging
import ProcessRunner
import SpoolCore
import Worker

extension WatchMode: ExpressibleByArgument {}

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Claim and run jobs from the spool until stopped (SIGTERM/SIGINT) or, with --drain, until it is empty.",
        discussion: """
            Any number of workers, on any number of hosts sharing the spool, may run at once: each job runs exactly once.
            SIGTERM stops new claims, gives running steps shutdown_grace seconds, then requeues what is left.
            """)

    @OptionGroup var spool: SpoolOption
    @Option(help: "Runs at once (default: the spool's config.yaml, else 2).")
    var concurrency: Int?
    @Flag(help: "Exit when nothing is queued or running in the spool.")
    var drain = false
    @Option(help: "How to notice new jobs: inotify (plus polling) or poll only. Polling always runs: inotify cannot see other NFS clients.")
    var watch: WatchMode = .inotify
    @Option(name: .customLong("poll-interval"), help: "Seconds between full scans of new/ (default: config.yaml, else 2).")
    var pollInterval: Double?
    @Option(help: "Seconds a run's lease lasts without a heartbeat (default: config.yaml, else 30).")
    var lease: Double?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning or error.")
    var logLevel: String = "info"
    @Flag(name: .customLong("claim-only"), help: .hidden)
    var claimOnly = false

    func validate() throws {
        if let c = concurrency, c < 1 { throw ValidationError("--concurrency must be at least 1") }
        if let p = pollInterval, p <= 0 { throw ValidationError("--poll-interval must be positive") }
        if let l = lease, l <= 0 { throw ValidationError("--lease must be positive") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error") }
    }

    func run() async throws {
        let s = try spool.open()
        var config = try s.loadConfig()
        if let concurrency { config.concurrency = concurrency }
        if let pollInterval { config.pollInterval = pollInterval }
        if let lease { config.lease = lease }
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "agent-runner.worker")
        // Steps and agent `shell` calls run under this binary's `supervise-step`, so they die with the worker.
        StepSupervision.enable()
        var spooler = Spooler(spool: s, config: config)
        spooler.onTakeover = OrphanedSteps.killer(host: spooler.actor.host)
        let worker = Worker(spooler: spooler, options: WorkerOptions(config: config, watch: watch, drain: drain, claimOnly: claimOnly),
                            logger: logger)
        let status = await worker.run()
        if status != 0 { throw ExitCode(status) }
    }
}

struct Recover: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Complete or roll back interrupted transitions in cur/ now (workers also do this on start-up and every poll).")
    @OptionGroup var spool: SpoolOption
    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let (_, spooler) = try spool.spooler()
        let r = spooler.recover()
        let lines = r.requeued.map { "requeued \($0)" } + r.failed.map { "failed \($0)" }
            + r.rolledForward.map { "completed \($0)" } + r.relinked.map { "relinked \($0)" }
            + r.removedLeftovers.map { "removed \($0)" } + r.errors.map { "error: \($0)" }
        if json { try printJSON(lines) } else { lines.forEach { print($0) } }
        if !r.errors.isEmpty { throw ExitCode(1) }
    }
}
