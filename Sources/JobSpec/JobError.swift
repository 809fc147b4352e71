/// Why a job file (or the spool's config.yaml) was rejected, with the 1-based position of the offending node.
public struct JobError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        /// 0 bytes, only whitespace, or only comments.
        case empty
        /// Larger than `JobLoader.maxFileSize`.
        case tooLarge
        /// Not valid UTF-8; the position is the first bad byte.
        case notUTF8
        /// No final newline: probably an interrupted write.
        case truncated
        /// Not valid YAML (including unknown aliases, duplicate keys, several documents, limits).
        case syntax
        /// A key the schema does not know.
        case unknownKey
        /// A value of the wrong type (e.g. a list where a string belongs).
        case wrongType
        /// A required key is absent.
        case missingKey
        /// The right type, but a value out of range or malformed.
        case invalidValue
        /// A feature the schema reserves but this version does not support yet.
        case unsupported
    }

    public var reason: Reason
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String
    /// What would have been accepted, e.g. "a string" or "one of: version, title, …".
    public var expected: String?
    /// The file may still be being written: worth re-reading once it stops changing.
    public var mayBeIncomplete: Bool

    public init(reason: Reason, file: String, line: Int? = nil, column: Int? = nil, message: String,
                expected: String? = nil, mayBeIncomplete: Bool = false) {
        self.reason = reason
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.expected = expected
        self.mayBeIncomplete = mayBeIncomplete
    }

    /// `file:line:column: message (expected: …)`, leaving out the parts that are unknown.
    public var description: String {
        var location: [String] = []
        if !file.isEmpty { location.append(file) }
        if let line {
            location.append(String(line))
            if let column { location.append(String(column)) }
        }
        var text = location.isEmpty ? message : location.joined(separator: ":") + ": " + message
        if let expected { text += " (expected: \(expected))" }
        return text
    }
}
