import YAMLCore

/// Typed reads from YAML nodes that fail with a `JobError` pointing at the node.
struct NodeReader {
    let file: String

    func error(_ reason: JobError.Reason, _ node: YAMLNode, _ message: String, expected: String? = nil) -> JobError {
        JobError(reason: reason, file: file, line: node.mark.line, column: node.mark.column, message: message, expected: expected)
    }

    /// The pairs of a mapping, with every key a string from `allowed`. `reserved` keys are refused as
    /// planned-but-unsupported, with the given note.
    func fields(_ node: YAMLNode, of what: String, allowed: [String], reserved: [String: String] = [:]) throws(JobError) -> [String: (key: YAMLNode, value: YAMLNode)] {
        guard case .mapping(let pairs) = node.kind else {
            throw error(.wrongType, node, "\(what) must be a mapping of keys to values, not \(node.kindDescription)", expected: "a mapping")
        }
        var out: [String: (key: YAMLNode, value: YAMLNode)] = [:]
        for (key, value) in pairs {
            guard let name = key.scalarText, case .string = key.resolved else {
                throw error(.wrongType, key, "keys of \(what) must be plain names, not \(key.kindDescription)", expected: "one of: \(allowed.joined(separator: ", "))")
            }
            if let note = reserved[name] {
                throw error(.unsupported, key, "`\(name)` is not supported in job schema v1 yet: \(note)")
            }
            guard allowed.contains(name) else {
                var message = "unknown key `\(name)` in \(what)"
                if let guess = Suggest.closest(to: name, in: allowed) { message += "; did you mean `\(guess)`?" }
                throw error(.unknownKey, key, message, expected: "one of: \(allowed.joined(separator: ", "))")
            }
            out[name] = (key, value)
        }
        return out
    }

    func string(_ node: YAMLNode, _ what: String, nonEmpty: Bool = false) throws(JobError) -> String {
        guard case .scalar(let text, _, _) = node.kind, case .string = node.resolved else {
            // Numbers and booleans are fine where a string is expected only if quoted; say so.
            if case .scalar(let text, _, _) = node.kind, node.resolved != .null {
                throw error(.wrongType, node, "\(what) must be a string; `\(text)` reads as \(node.kindDescription) (quote it)", expected: "a string")
            }
            throw error(.wrongType, node, "\(what) must be a string, not \(node.kindDescription)", expected: "a string")
        }
        if nonEmpty && text.allSatisfy(\.isWhitespace) {
            throw error(.invalidValue, node, "\(what) must not be empty", expected: "a non-empty string")
        }
        return text
    }

    /// A string, or a number / boolean written as one (for `env` values).
    func scalarString(_ node: YAMLNode, _ what: String) throws(JobError) -> String {
        guard case .scalar(let text, _, _) = node.kind, node.resolved != .null else {
            throw error(.wrongType, node, "\(what) must be a string, number or boolean, not \(node.kindDescription)", expected: "a scalar value")
        }
        return text
    }

    func int(_ node: YAMLNode, _ what: String, in range: ClosedRange<Int>) throws(JobError) -> Int {
        guard case .int(let i) = node.resolved, case .scalar = node.kind else {
            throw error(.wrongType, node, "\(what) must be a whole number, not \(node.kindDescription)", expected: "an integer in \(range.lowerBound)…\(range.upperBound)")
        }
        guard range.contains(i) else {
            throw error(.invalidValue, node, "\(what) is \(i), outside \(range.lowerBound)…\(range.upperBound)", expected: "an integer in \(range.lowerBound)…\(range.upperBound)")
        }
        return i
    }

    func bool(_ node: YAMLNode, _ what: String) throws(JobError) -> Bool {
        guard case .bool(let b) = node.resolved, case .scalar = node.kind else {
            throw error(.wrongType, node, "\(what) must be true or false, not \(node.kindDescription)", expected: "true or false")
        }
        return b
    }

    /// Seconds, from a number or a duration string.
    func duration(_ node: YAMLNode, _ what: String, minimum: Double = 0, allowZero: Bool = false) throws(JobError) -> Double {
        let expected = "a duration such as 500ms, 30s, 5m or 1h30m, or a number of seconds"
        let seconds: Double
        switch node.resolved {
        case .int(let i): seconds = Double(i)
        case .float(let d) where d.isFinite: seconds = d
        case .string(let s):
            guard let d = Durations.parse(s) else { throw error(.invalidValue, node, "\(what) `\(s)` is not a duration", expected: expected) }
            seconds = d
        default:
            throw error(.wrongType, node, "\(what) must be a duration, not \(node.kindDescription)", expected: expected)
        }
        if seconds < minimum || (!allowZero && seconds <= 0) {
            throw error(.invalidValue, node, "\(what) must be \(allowZero ? "at least" : "more than") \(minimum == 0 ? "0" : "\(minimum)s")", expected: expected)
        }
        return seconds
    }

    func list(_ node: YAMLNode, _ what: String, expected: String) throws(JobError) -> [YAMLNode] {
        guard case .sequence(let items) = node.kind else {
            throw error(.wrongType, node, "\(what) must be a list, not \(node.kindDescription)", expected: expected)
        }
        return items
    }
}

