import CYAML

/// Parses one YAML document into a `YAMLNode` tree with 1-based positions, over libyaml's event API.
///
/// Stricter than libyaml alone: an alias to an unknown anchor, a duplicate mapping key, a second
/// document, nesting deeper than `maxDepth`, and alias expansion beyond `maxNodes` are errors.
public struct YAMLParser {
    public var maxDepth = 64
    public var maxNodes = 100_000

    public init() {}

    /// Returns nil for a stream without a document (empty, or only comments).
    public func parse(_ bytes: [UInt8]) throws(YAMLError) -> YAMLNode? {
        let events = EventStream(bytes)
        var builder = TreeBuilder(events: events, maxDepth: maxDepth, maxNodes: maxNodes)
        return try builder.document()
    }
}

/// One libyaml event, copied out of C memory.
enum YAMLEvent {
    case streamStart, streamEnd, documentStart, documentEnd
    case alias(anchor: String)
    case scalar(String, anchor: String?, tag: String?, style: YAMLNode.ScalarStyle)
    case sequenceStart(anchor: String?)
    case sequenceEnd
    case mappingStart(anchor: String?)
    case mappingEnd
}

/// Owns a `yaml_parser_t` and a copy of the input, and frees both.
final class EventStream {
    private var parser = yaml_parser_t()
    private let input: UnsafeMutableBufferPointer<UInt8>
    let count: Int
    private var done = false

    init(_ bytes: [UInt8]) {
        count = bytes.count
        input = .allocate(capacity: max(1, bytes.count))
        _ = input.initialize(from: bytes)
        yaml_parser_initialize(&parser)
        yaml_parser_set_input_string(&parser, input.baseAddress, bytes.count)
    }

    deinit {
        yaml_parser_delete(&parser)
        input.deallocate()
    }

    /// The next event and where it starts.
    func next() throws(YAMLError) -> (YAMLEvent, Mark) {
        var event = yaml_event_t()
        guard !done, yaml_parser_parse(&parser, &event) == 1 else { throw parserError() }
        defer { yaml_event_delete(&event) }
        let mark = Mark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        switch event.type {
        case YAML_STREAM_START_EVENT: return (.streamStart, mark)
        case YAML_STREAM_END_EVENT:
            done = true
            return (.streamEnd, mark)
        case YAML_DOCUMENT_START_EVENT: return (.documentStart, mark)
        case YAML_DOCUMENT_END_EVENT: return (.documentEnd, mark)
        case YAML_ALIAS_EVENT: return (.alias(anchor: text(event.data.alias.anchor) ?? ""), mark)
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let value = String(decoding: UnsafeBufferPointer(start: s.value, count: s.length), as: UTF8.self)
            let style: YAMLNode.ScalarStyle
            switch s.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            return (.scalar(value, anchor: text(s.anchor), tag: text(s.tag), style: style), mark)
        case YAML_SEQUENCE_START_EVENT: return (.sequenceStart(anchor: text(event.data.sequence_start.anchor)), mark)
        case YAML_SEQUENCE_END_EVENT: return (.sequenceEnd, mark)
        case YAML_MAPPING_START_EVENT: return (.mappingStart(anchor: text(event.data.mapping_start.anchor)), mark)
        case YAML_MAPPING_END_EVENT: return (.mappingEnd, mark)
        default: throw YAMLError(message: "unexpected YAML event", mark: mark)
        }
    }

    private func text(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let p else { return nil }
        return String(cString: UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))
    }

    private func parserError() -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let context = parser.context.map { String(cString: $0) }
        let m = parser.problem_mark
        let mark = Mark(line: Int(m.line) + 1, column: Int(m.column) + 1)
        var message = problem
        if let context {
            let c = parser.context_mark
            message += " \(context) (started at line \(c.line + 1), column \(c.column + 1))"
        }
        return YAMLError(message: message, mark: mark, atEnd: Int(m.index) >= count - 1)
    }
}

/// Turns the event stream into nodes, resolving anchors and enforcing the limits.
struct TreeBuilder {
    let events: EventStream
    let maxDepth: Int
    let maxNodes: Int
    var anchors: [String: YAMLNode] = [:]
    var nodes = 0

    init(events: EventStream, maxDepth: Int, maxNodes: Int) {
        self.events = events
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
    }

    mutating func document() throws(YAMLError) -> YAMLNode? {
        guard case .streamStart = try events.next().0 else { throw YAMLError(message: "missing stream start", mark: nil) }
        let (first, _) = try events.next()
        if case .streamEnd = first { return nil }
        guard case .documentStart = first else { throw YAMLError(message: "expected a document", mark: nil) }
        let (event, mark) = try events.next()
        let root = try node(event, mark, depth: 1)
        guard case .documentEnd = try events.next().0 else { throw YAMLError(message: "expected the end of the document", mark: nil) }
        let (after, afterMark) = try events.next()
        if case .documentStart = after {
            throw YAMLError(message: "a second YAML document (after `---`) is not allowed; a job file holds one job", mark: afterMark)
        }
        return root
    }

    mutating func node(_ event: YAMLEvent, _ mark: Mark, depth: Int) throws(YAMLError) -> YAMLNode {
        guard depth <= maxDepth else { throw YAMLError(message: "nesting deeper than \(maxDepth) levels", mark: mark) }
        let result: YAMLNode
        let anchor: String?
        switch event {
        case .alias(let name):
            guard let target = anchors[name] else {
                throw YAMLError(message: "alias *\(name) refers to an anchor &\(name) that is not defined before it", mark: mark)
            }
            try count(target.size, mark)
            var copy = target
            copy.mark = mark
            return copy
        case .scalar(let value, let a, let tag, let style):
            anchor = a
            result = YAMLNode(kind: .scalar(value, style: style, tag: tag), mark: mark)
            try count(1, mark)
        case .sequenceStart(let a):
            anchor = a
            var items: [YAMLNode] = []
            while true {
                let (e, m) = try events.next()
                if case .sequenceEnd = e { break }
                items.append(try node(e, m, depth: depth + 1))
            }
            try count(1, mark)
            result = YAMLNode(kind: .sequence(items), mark: mark)
        case .mappingStart(let a):
            anchor = a
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            var seen: [String: Mark] = [:]
            while true {
                let (e, m) = try events.next()
                if case .mappingEnd = e { break }
                let key = try node(e, m, depth: depth + 1)
                if let text = key.scalarText {
                    if let first = seen[text] {
                        throw YAMLError(message: "duplicate key \"\(text)\" (first at line \(first.line))", mark: key.mark)
                    }
                    seen[text] = key.mark
                }
                let (ve, vm) = try events.next()
                pairs.append((key, try node(ve, vm, depth: depth + 1)))
            }
            try count(1, mark)
            result = YAMLNode(kind: .mapping(pairs), mark: mark)
        default:
            throw YAMLError(message: "unexpected YAML structure", mark: mark)
        }
        if let anchor { anchors[anchor] = result }
        return result
    }

    mutating func count(_ n: Int, _ mark: Mark) throws(YAMLError) {
        nodes += n
        if nodes > maxNodes {
            throw YAMLError(message: "the document expands to more than \(maxNodes) nodes (aliases repeating large parts?)", mark: mark)
        }
    }
}
