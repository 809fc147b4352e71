/// Why a job file (or `config.yaml`) cannot be used, and where.
public struct JobError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable, CaseIterable {
        case empty, tooLarge, notUTF8, truncated, syntax, unknownKey, wrongType, missingKey, invalidValue, unsupported
    }

    public var reason: Reason
    public var file: String
    /// 1-based.
    public var line: Int?
    /// 1-based, in bytes.
    public var column: Int?
    public var message: String
    /// What would have been accepted: "a string", "one of: title, steps, …".
    public var expected: String?
    /// The file may still be arriving (empty, cut short): worth re-reading after a grace period.
    public var mayBeIncomplete: Bool

    public init(reason: Reason, file: String, line: Int? = nil, column: Int? = nil, message: String, expected: String? = nil,
                mayBeIncomplete: Bool = false) {
        self.reason = reason
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.expected = expected
        self.mayBeIncomplete = mayBeIncomplete
    }

    /// `file:line:column: message (expected: …)`, the way compilers print errors.
    public var description: String {
        var where_ = file
        if let line { where_ += ":\(line)"; if let column { where_ += ":\(column)" } }
        var text = "\(where_): \(message)"
        if let expected { text += " (expected: \(expected))" }
        return text
    }
}
