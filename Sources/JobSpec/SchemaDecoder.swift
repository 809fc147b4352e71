import YAMLCore

/// Typed accessors over `YAMLNode` that throw `JobError`s pointing at the offending node.
struct SchemaDecoder {
    let file: String

    func error(_ reason: JobError.Reason, at mark: Mark, _ message: String, expected: String? = nil) -> JobError {
        JobError(reason: reason, file: file, line: mark.line, column: mark.column, message: message, expected: expected)
    }

    func wrongType(_ node: YAMLNode, field: String, expected: String) -> JobError {
        var found = node.kindDescription
        if case .scalar(let text, _) = node.kind, !text.isEmpty { found += " (\(quoted(text)))" }
        return error(.wrongType, at: node.mark, "\(field) must be \(expected), but it is \(found)", expected: expected)
    }

    func quoted(_ text: String) -> String {
        let short = text.count > 40 ? String(text.prefix(40)) + "…" : text
        return "\"\(short)\""
    }

    /// The entries of a mapping, after checking every key: a string, not reserved, known.
    func mapping(_ node: YAMLNode, field: String, expected: String, allowed: [String],
                 reserved: Set<String> = [], reservedContext: String = "") throws(JobError) -> [(key: String, pair: YAMLPair)] {
        guard let pairs = node.mapping else { throw wrongType(node, field: field, expected: expected) }
        var result: [(key: String, pair: YAMLPair)] = []
        for pair in pairs {
            let key = try keyName(pair.key, in: field)
            if reserved.contains(key) {
                throw error(.unsupported, at: pair.key.mark,
                            "\"\(key)\"\(reservedContext) is planned but not supported in schema v1 yet",
                            expected: "one of: " + allowed.joined(separator: ", "))
            }
            guard allowed.contains(key) else {
                var message = "unknown key \"\(key)\" in \(field)"
                if let suggestion = Suggestions.closest(to: key, in: allowed) { message += "; did you mean \"\(suggestion)\"?" }
                throw error(.unknownKey, at: pair.key.mark, message, expected: "one of: " + allowed.joined(separator: ", "))
            }
            result.append((key, pair))
        }
        return result
    }

    func keyName(_ node: YAMLNode, in field: String) throws(JobError) -> String {
        guard case .scalar(let text, _) = node.kind, case .string = node.value ?? .null else {
            throw error(.wrongType, at: node.mark, "keys in \(field) must be strings, but this key is \(node.kindDescription)",
                        expected: "a string key")
        }
        return text
    }

    func string(_ node: YAMLNode, field: String, nonEmpty: Bool = false) throws(JobError) -> String {
        guard case .string(let s)? = node.value else { throw wrongType(node, field: field, expected: "a string") }
        if nonEmpty && s.allSatisfy(\.isWhitespace) {
            throw error(.invalidValue, at: node.mark, "\(field) must not be empty", expected: "a non-empty string")
        }
        return s
    }

    func int(_ node: YAMLNode, field: String, range: ClosedRange<Int>) throws(JobError) -> Int {
        let expected = "an integer from \(range.lowerBound) to \(range.upperBound)"
        guard case .int(let i)? = node.value else { throw wrongType(node, field: field, expected: expected) }
        guard range.contains(i) else {
            throw error(.invalidValue, at: node.mark, "\(field) is \(i), outside \(range.lowerBound)...\(range.upperBound)",
                        expected: expected)
        }
        return i
    }

    func bool(_ node: YAMLNode, field: String) throws(JobError) -> Bool {
        guard case .bool(let b)? = node.value else { throw wrongType(node, field: field, expected: "true or false") }
        return b
    }

    /// Seconds, from a number or a duration string; `minimum` is inclusive unless `positive`.
    func duration(_ node: YAMLNode, field: String, minimum: Double = 0, positive: Bool = true) throws(JobError) -> Double {
        let bound = positive ? "greater than 0" : (minimum == 0 ? "0 or more" : "at least \(DurationParser.format(minimum))")
        let expected = "a duration \(bound): seconds (90, 0.5) or a string like \"500ms\", \"30s\", \"5m\", \"1h30m\""
        let seconds: Double
        switch node.value {
        case .int(let i)?: seconds = Double(i)
        case .float(let f)?: seconds = f
        case .string(let s)?:
            guard let parsed = DurationParser.seconds(s) else {
                throw error(.invalidValue, at: node.mark, "\(field) \(quoted(s)) is not a duration", expected: expected)
            }
            seconds = parsed
        default:
            throw wrongType(node, field: field, expected: expected)
        }
        guard seconds.isFinite, positive ? seconds > 0 : seconds >= minimum else {
            throw error(.invalidValue, at: node.mark, "\(field) must be \(bound)", expected: expected)
        }
        return seconds
    }
}
