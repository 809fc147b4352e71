// Interim: the real ProcessRunner lands from the `proc` branch; this file is deleted at that merge.
import Foundation
import Synchronization
public struct ProcessSpec: Sendable {
    public var command: String
    public var workingDirectory: String
    public var environment: [String: String]
    public var stdoutPath: String
    public var stderrPath: String
    public var timeout: Double?
    public var killGrace: Double
    public init(command: String, workingDirectory: String, environment: [String: String], stdoutPath: String, stderrPath: String, timeout: Double?, killGrace: Double) {
        self.command = command; self.workingDirectory = workingDirectory; self.environment = environment
        self.stdoutPath = stdoutPath; self.stderrPath = stderrPath; self.timeout = timeout; self.killGrace = killGrace
    }
}
public struct ProcessResult: Sendable, Equatable {
    public var exitCode: Int32?
    public var signal: Int32?
    public var timedOut: Bool
    public var terminated: Bool
    public var duration: Double
    public init(exitCode: Int32?, signal: Int32?, timedOut: Bool, terminated: Bool, duration: Double) {
        self.exitCode = exitCode; self.signal = signal; self.timedOut = timedOut; self.terminated = terminated; self.duration = duration
    }
    public var succeeded: Bool { exitCode == 0 && !timedOut && !terminated }
    public var summary: String { exitCode.map { "exit \($0)" } ?? "signal" }
}
public struct ProcessError: Error {}
public final class RunningProcess: Sendable {
    let p: Mutex<Process?>
    init(_ p: Process) { self.p = Mutex(p) }
    public static func spawn(_ spec: ProcessSpec) throws(ProcessError) -> RunningProcess {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", spec.command]
        p.currentDirectoryURL = URL(fileURLWithPath: spec.workingDirectory)
        p.environment = spec.environment
        FileManager.default.createFile(atPath: spec.stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: spec.stderrPath, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: spec.stdoutPath)
        p.standardError = FileHandle(forWritingAtPath: spec.stderrPath)
        do { try p.run() } catch { throw ProcessError() }
        return RunningProcess(p)
    }
    public var pid: Int32 { p.withLock { $0!.processIdentifier } }
    public func pause() {}
    public func resume() {}
    public func terminate() { p.withLock { $0!.terminate() } }
    public func wait() async -> ProcessResult {
        while p.withLock({ $0!.isRunning }) { try? await Task.sleep(for: .milliseconds(5)) }
        return ProcessResult(exitCode: p.withLock { $0!.terminationStatus }, signal: nil, timedOut: false, terminated: false, duration: 0)
    }
}
public final class OutputFollower {
    let path: String
    public init(path: String, cap: Int) { self.path = path }
    public func poll(maxChunk: Int) -> [UInt8]? { nil }
    public func flush() -> [UInt8]? { nil }
    public var returnedBytes: Int { 0 }
    public var truncatedBytes: Int { 0 }
}
