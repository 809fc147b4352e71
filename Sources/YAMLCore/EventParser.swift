import CYAML

/// One libyaml event, copied out of the C struct so no C pointer outlives `EventParser.next()`.
struct YAMLEvent {
    enum Kind {
        case streamStart, streamEnd, documentStart, documentEnd
        case alias(anchor: String)
        case scalar(value: String, style: ScalarStyle, anchor: String?, tag: String?)
        case sequenceStart(anchor: String?, tag: String?)
        case sequenceEnd
        case mappingStart(anchor: String?, tag: String?)
        case mappingEnd
    }

    var kind: Kind
    /// 1-based.
    var start: Mark
}

/// Owns a libyaml `yaml_parser_t` (deleted in `deinit`) and the input it reads.
/// This is the only place that touches libyaml's C pointers.
final class EventParser {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let input: UnsafeMutableBufferPointer<UInt8>
    private let bytes: [UInt8]
    private var finished = false

    init(_ bytes: [UInt8]) throws(YAMLError) {
        self.bytes = bytes
        parser = .allocate(capacity: 1)
        input = .allocate(capacity: max(bytes.count, 1))
        _ = input.initialize(from: bytes)
        guard yaml_parser_initialize(parser) != 0 else {
            input.deallocate()
            parser.deallocate()
            throw YAMLError(kind: .internalError, message: "cannot initialize the YAML parser (out of memory)",
                            mark: Mark(line: 1, column: 1))
        }
        yaml_parser_set_input_string(parser, input.baseAddress, bytes.count)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
        input.deallocate()
    }

    /// The next event; after `streamEnd` keeps returning `streamEnd`.
    func next() throws(YAMLError) -> YAMLEvent {
        if finished { return YAMLEvent(kind: .streamEnd, start: Mark.end(of: bytes)) }
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) != 0 else {
            yaml_event_delete(&event)
            throw currentError()
        }
        defer { yaml_event_delete(&event) }
        let start = Mark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        let kind: YAMLEvent.Kind
        switch event.type {
        case YAML_STREAM_START_EVENT:
            kind = .streamStart
        case YAML_STREAM_END_EVENT:
            finished = true
            kind = .streamEnd
        case YAML_DOCUMENT_START_EVENT:
            kind = .documentStart
        case YAML_DOCUMENT_END_EVENT:
            kind = .documentEnd
        case YAML_ALIAS_EVENT:
            kind = .alias(anchor: Self.string(event.data.alias.anchor) ?? "")
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let value: String
            if let p = s.value {
                value = String(decoding: UnsafeBufferPointer(start: p, count: s.length), as: UTF8.self)
            } else {
                value = ""
            }
            kind = .scalar(value: value, style: Self.style(s.style), anchor: Self.string(s.anchor), tag: Self.string(s.tag))
        case YAML_SEQUENCE_START_EVENT:
            let s = event.data.sequence_start
            kind = .sequenceStart(anchor: Self.string(s.anchor), tag: Self.string(s.tag))
        case YAML_SEQUENCE_END_EVENT:
            kind = .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            let m = event.data.mapping_start
            kind = .mappingStart(anchor: Self.string(m.anchor), tag: Self.string(m.tag))
        case YAML_MAPPING_END_EVENT:
            kind = .mappingEnd
        default:
            throw YAMLError(kind: .internalError, message: "unexpected libyaml event \(event.type.rawValue)", mark: start)
        }
        return YAMLEvent(kind: kind, start: start)
    }

    private func currentError() -> YAMLError {
        let p = parser.pointee
        let problem = p.problem.map { String(cString: $0) } ?? "unknown YAML error"
        let mark: Mark
        var message = problem
        switch p.error {
        case YAML_READER_ERROR:
            // Reader errors carry a byte offset instead of a mark.
            mark = Mark.position(of: p.problem_offset, in: bytes)
            if p.problem_value != -1 {
                message += " (byte 0x\(String(UInt32(truncatingIfNeeded: p.problem_value), radix: 16)))"
            }
        case YAML_MEMORY_ERROR:
            return YAMLError(kind: .internalError, message: "the YAML parser ran out of memory", mark: Mark(line: 1, column: 1))
        default:
            mark = Mark(line: Int(p.problem_mark.line) + 1, column: Int(p.problem_mark.column) + 1)
            if let context = p.context.map({ String(cString: $0) }) {
                let c = Mark(line: Int(p.context_mark.line) + 1, column: Int(p.context_mark.column) + 1)
                message = "\(context) (started at line \(c.line), column \(c.column)): \(problem)"
            }
        }
        return YAMLError(kind: .syntax, message: message, mark: mark, atEndOfInput: mark >= Self.lastContent(of: bytes))
    }

    /// The mark just after the last non-whitespace character: an error at or past it is an error at the end.
    static func lastContent(of bytes: [UInt8]) -> Mark {
        var n = bytes.count
        while n > 0, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[n - 1]) { n -= 1 }
        return Mark.position(of: n, in: bytes)
    }

    private static func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let p else { return nil }
        return String(cString: p)
    }

    private static func style(_ s: yaml_scalar_style_t) -> ScalarStyle {
        switch s {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
    }
}
