import Foundation
import SpoolCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The `agent-runner` binary that `swift build --build-tests` put next to the test bundle
/// (override with `AGENT_RUNNER_BIN`).
public enum Binary {
    public static let path: String = {
        if let p = ProcessInfo.processInfo.environment["AGENT_RUNNER_BIN"] { return p }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("agent-runner").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("agent-runner").path
    }()
}

public struct CLIResult {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// A temporary spool made with `agent-runner init`, removed when the test ends.
public final class TestSpool {
    public let root: String
    public let spool: Spool
    /// Only a spool this object created in a fresh temporary folder is removed at the end.
    public let ownsRoot: Bool

    /// A test spool's config.yaml: short timers, no settle time; each suite changes what it tests.
    public static func config(lease: String = "2s", poll: String = "200ms", grace: String = "300ms",
                              shutdownGrace: String = "1s", killGrace: String = "1s") -> String {
        "lease: \(lease)\npoll_interval: \(poll)\nsettle: 0s\ngrace: \(grace)\nshutdown_grace: \(shutdownGrace)\nkill_grace: \(killGrace)\n"
    }

    public init(config: String = TestSpool.config(),
         root: String? = nil) throws {
        ownsRoot = root == nil
        if let root {
            self.root = root
        } else {
            var template = Array("\(NSTemporaryDirectory())/ar-test-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp failed: errno \(errno)") }
            // Standardised (NSTemporaryDirectory() ends in "/"), as the CLI standardises `--spool`.
            self.root = URL(fileURLWithPath: String(cString: made)).standardizedFileURL.path + "/spool"
        }
        spool = Spool(root: self.root)
        let r = try TestSpool.cli(["init", self.root])
        guard r.status == 0 else { throw TestFailure("init failed: \(r.stderr)") }
        try config.write(toFile: self.root + "/config.yaml", atomically: true, encoding: .utf8)
    }

    deinit {
        if ownsRoot && ProcessInfo.processInfo.environment["AGENT_RUNNER_KEEP_TEST_SPOOLS"] == nil {
            try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: root).deletingLastPathComponent().path)
        }
    }

    public var new: String { root + "/new" }
    public var cur: String { root + "/cur" }
    public var done: String { root + "/done" }
    public var tmp: String { root + "/tmp" }

    /// Writes `tmp/NAME` and renames it into `new/`, as a well-behaved writer does.
    public func drop(_ name: String, _ text: String) throws {
        try drop(Array(name.utf8), Array(text.utf8))
    }

    public func drop(_ name: [UInt8], _ bytes: [UInt8]) throws {
        let tmpPath = Array(tmp.utf8) + [0x2F] + name
        let newPath = Array(new.utf8) + [0x2F] + name
        let fd = withCPath(tmpPath) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw TestFailure("open tmp failed: errno \(errno)") }
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let rc = withCPath(tmpPath) { from in withCPath(newPath) { to in rename(from, to) } }
        guard rc == 0 else { throw TestFailure("rename failed: errno \(errno)") }
    }

    public func run(_ args: [String], env: [String: String] = [:], stdin: String? = nil) throws -> CLIResult {
        try TestSpool.cli(args + ["--spool", root], env: env, stdin: stdin)
    }

    public static func cli(_ args: [String], env: [String: String] = [:], stdin: String? = nil) throws -> CLIResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binary.path)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let input = Pipe()
        p.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try p.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        // Read both pipes concurrently so a chatty child never blocks on a full pipe.
        let errData = Box<Data>(Data())
        let reader = Thread { errData.value = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        return CLIResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                         stderr: String(decoding: errData.value, as: UTF8.self))
    }

    /// Runs a command with /bin/sh and returns its stdout.
    public static func shell(_ command: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Starts a worker process in the background. Its stderr goes to a log file in the spool's parent.
    public func startWorker(_ extra: [String] = [], env: [String: String] = [:], spoolPath: String? = nil) throws -> WorkerProcess {
        try WorkerProcess(args: ["worker", "--spool", spoolPath ?? root] + extra, env: env,
                          log: URL(fileURLWithPath: root).deletingLastPathComponent().path + "/worker-\(UUID().uuidString.prefix(8)).log")
    }

    /// Runs `worker --drain` to completion and returns its exit status.
    @discardableResult
    public func drain(_ extra: [String] = [], env: [String: String] = [:], timeout: Double = 120) throws -> Int32 {
        let w = try startWorker(["--drain"] + extra, env: env)
        guard w.waitForExit(timeout: timeout) else {
            w.kill(SIGKILL)
            throw TestFailure("worker --drain did not exit within \(timeout)s; log:\n\(w.logText)")
        }
        return w.exitStatus
    }

    /// Drops a job that is slow (3 s) on its first attempt and quick on any later one, each attempt
    /// appending `first` or `second` to the returned ledger, and starts a worker. Returns once the first
    /// attempt is running.
    /// The first attempt's shell writes its pid (its process group) to `marker`.
    public func startTwoPhaseJob(_ name: String, extra: String = "", firstSleep: Int = 3, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> (worker: WorkerProcess, ledger: String) {
        let (ledger, marker) = (root + "/../ledger", root + "/../marker")
        try drop(name, """
            title: two-phase job
            \(extra)steps:
              - run: if [ -e \(marker) ]; then echo second >> \(ledger); else echo $$ > \(marker); sleep \(firstSleep); echo first >> \(ledger); fi

            """)
        let worker = try startWorker()
        #expect(wait(timeout: 20) { ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").hasSuffix("\n") },
                "the first attempt started",
                sourceLocation: sourceLocation)
        return (worker, ledger)
    }

    /// The pid the first attempt of a two-phase job wrote.
    public var twoPhasePid: Int32? {
        Int32(((try? String(contentsOfFile: root + "/../marker", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
    }

    // MARK: reading the spool

    public func names(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    public func jobFiles(_ dir: String) -> [String] { names(dir).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") } }

    public func runIDs(in dir: String) -> [String] {
        names(dir).filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }
    }

    public func events(_ run: String, in dir: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: "\(dir)/\(run).events.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map {
            guard let o = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] else {
                throw TestFailure("event line is not an object: \($0)")
            }
            return o
        }
    }

    public func types(_ run: String, in dir: String) throws -> [String] {
        try events(run, in: dir).map { $0["type"] as? String ?? "?" }
    }

    /// Asserts the invariants every finished run must hold and returns its events.
    @discardableResult
    public func checkFinished(_ run: String, status: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        let ev = try events(run, in: done)
        let seqs = ev.compactMap { $0["seq"] as? Int }
        #expect(seqs == Array(1...max(1, ev.count)), "seq must run 1…n without gaps in \(run)", sourceLocation: sourceLocation)
        #expect(ev.allSatisfy { $0["run"] as? String == run }, sourceLocation: sourceLocation)
        let finished = ev.filter { $0["type"] as? String == "finished" }
        #expect(finished.count == 1, "exactly one finished event in \(run), got \(finished.count)", sourceLocation: sourceLocation)
        #expect(ev.last?["type"] as? String == "finished", "finished is the last event of \(run)", sourceLocation: sourceLocation)
        #expect(finished.first?["status"] as? String == status, "status of \(run): \(finished.first ?? [:])", sourceLocation: sourceLocation)
        return ev
    }

    /// Nothing of any run is left in cur/ (no job, lease, token or companion). A finishing worker removes
    /// its token and control files just after the job file reaches done/, so this waits for that last step.
    public func expectCurEmpty(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(wait(timeout: 10) { names(cur).isEmpty }, "cur/ should be empty: \(names(cur))", sourceLocation: sourceLocation)
    }

    public func wait(timeout: Double, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }
}

/// A background `agent-runner worker` process.
public final class WorkerProcess {
    public let process = Process()
    public let log: String

    /// Runs `agent-runner ARGS --log-level debug`, or with `executable`, that program with `arguments` as given.
    public init(args: [String], env: [String: String], log: String, executable: String? = nil, arguments: [String]? = nil) throws {
        self.log = log
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable ?? Binary.path)
        process.arguments = arguments ?? (args + ["--log-level", "debug"])
        process.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
    }

    deinit {
        if process.isRunning { kill(SIGKILL); process.waitUntilExit() }
    }

    public var pid: Int32 { process.processIdentifier }
    public func kill(_ sig: Int32) { _ = Glibc.kill(pid, sig) }

    public func waitForExit(timeout: Double) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < end { usleep(10_000) }
        if process.isRunning { return false }
        process.waitUntilExit()
        return true
    }

    /// Exit status, or 128+signal when killed by a signal (as a shell reports it).
    public var exitStatus: Int32 {
        process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    public var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
}

public final class Box<T>: @unchecked Sendable {
    public var value: T
    public init(_ v: T) { value = v }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// Calls `body` with a NUL-terminated copy of a byte path (which need not be UTF-8).
public func withCPath<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
    (bytes + [0]).withUnsafeBufferPointer { buf in
        buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { body($0) }
    }
}
