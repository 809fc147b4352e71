// Interim: the real JobSpec lands from the `yaml` branch; this file is deleted at that merge.
public struct Job: Sendable, Equatable {
    public var version: Int = 1
    public var title: String?
    public var workspace: String?
    public var env: [String: String] = [:]
    public var timeout: Double?
    public var labels: [String] = []
    public var priority: Int = 0
    public var maxAttempts: Int?
    public var steps: [Step] = []
}
public struct Step: Sendable, Equatable {
    public var name: String?
    public var run: String
    public var timeout: Double?
    public var continueOnError: Bool
    public var line: Int
}
public struct JobError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable { case empty, tooLarge, notUTF8, truncated, syntax, unknownKey, wrongType, missingKey, invalidValue, unsupported }
    public var reason: Reason
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String
    public var expected: String?
    public var mayBeIncomplete: Bool
    public init(reason: Reason, file: String, line: Int? = nil, column: Int? = nil, message: String, expected: String? = nil, mayBeIncomplete: Bool = false) {
        self.reason = reason; self.file = file; self.line = line; self.column = column; self.message = message; self.expected = expected; self.mayBeIncomplete = mayBeIncomplete
    }
    public var description: String { "\(file):\(line ?? 0):\(column ?? 0): \(message)" }
}
public enum JobLoader {
    public static let maxFileSize = 1 << 20
    public static func load(_ bytes: [UInt8], file: String) throws(JobError) -> Job {
        if bytes.isEmpty { throw JobError(reason: .empty, file: file, message: "empty", mayBeIncomplete: true) }
        var job = Job()
        for (i, line) in bytes.split(separator: 0x0A).enumerated() {
            let s = String(decoding: line, as: UTF8.self)
            if s.hasPrefix("  - run: ") { job.steps.append(Step(name: nil, run: String(s.dropFirst(9)), timeout: nil, continueOnError: false, line: i + 1)) }
            if s.hasPrefix("title: ") { job.title = String(s.dropFirst(7)) }
        }
        return job
    }
}
public struct SpoolConfig: Sendable, Equatable {
    public var concurrency: Int = 2
    public var lease: Double = 30
    public var pollInterval: Double = 2
    public var maxAttempts: Int = 3
    public var grace: Double = 2
    public var settle: Double = 1
    public var shutdownGrace: Double = 10
    public var killGrace: Double = 5
    public var outputEventCap: Int = 65536
    public var durability: Durability = .fsync
    public enum Durability: String, Sendable { case fsync, none }
    public init() {}
    public static func load(_ bytes: [UInt8], file: String) throws(JobError) -> SpoolConfig { SpoolConfig() }
}
