/// Limits that keep a hostile or broken file from exhausting the stack or memory of whoever walks the tree.
public struct YAMLLimits: Sendable, Equatable {
    /// Deepest allowed nesting of sequences and mappings (the root collection is depth 1).
    public var maxDepth: Int
    /// Most nodes that aliases may expand to in total ("billion laughs" guard).
    public var maxAliasedNodes: Int

    public init(maxDepth: Int = 64, maxAliasedNodes: Int = 10_000) {
        self.maxDepth = maxDepth
        self.maxAliasedNodes = maxAliasedNodes
    }
}

/// Builds a `YAMLNode` tree from libyaml's event stream.
///
/// On top of libyaml it rejects: an alias to an unknown anchor, duplicate mapping keys
/// (reported at the second key), more than one document, nesting deeper than `maxDepth`
/// and aliases that expand to more than `maxAliasedNodes` nodes. Merge keys (`<<`) have no
/// special meaning (YAML 1.2).
public enum YAMLParser {
    /// The single document in `bytes`, or nil when the stream has none (empty, or only comments).
    public static func parse(_ bytes: [UInt8], limits: YAMLLimits = YAMLLimits()) throws(YAMLError) -> YAMLNode? {
        var builder = TreeBuilder(limits: limits, events: try EventParser(bytes))
        return try builder.run()
    }
}

private struct TreeBuilder {
    struct Built {
        var node: YAMLNode
        /// Nodes in the subtree, counting alias expansions.
        var size: Int
    }

    enum Frame {
        case sequence(start: Mark, anchor: String?, tag: String?, items: [YAMLNode], size: Int)
        case mapping(start: Mark, anchor: String?, tag: String?, pairs: [YAMLPair], pendingKey: YAMLNode?, keys: Set<String>, size: Int)
    }

    let limits: YAMLLimits
    let events: EventParser
    var stack: [Frame] = []
    var anchors: [String: Built] = [:]
    var aliased = 0

    init(limits: YAMLLimits, events: EventParser) {
        self.limits = limits
        self.events = events
    }

    mutating func run() throws(YAMLError) -> YAMLNode? {
        var root: YAMLNode?
        var documents = 0
        while true {
            let event = try events.next()
            switch event.kind {
            case .streamStart, .documentEnd:
                continue
            case .streamEnd:
                return root
            case .documentStart:
                documents += 1
                if documents > 1 {
                    throw YAMLError(kind: .multipleDocuments,
                                    message: "a second YAML document starts here; the file must hold exactly one document (remove the extra `---`)",
                                    mark: event.start)
                }
            case .alias(let name):
                guard let target = anchors[name] else {
                    throw YAMLError(kind: .unknownAlias,
                                    message: "alias *\(name) refers to an unknown anchor; define &\(name) before using it (an anchored node cannot contain an alias to itself)",
                                    mark: event.start)
                }
                aliased += target.size
                if aliased > limits.maxAliasedNodes {
                    throw YAMLError(kind: .tooManyAliases,
                                    message: "aliases expand to more than \(limits.maxAliasedNodes) nodes; refusing to expand further",
                                    mark: event.start)
                }
                var copy = target.node
                copy.mark = event.start
                if let done = try add(Built(node: copy, size: target.size)) { root = done }
            case .scalar(let value, let style, let anchor, let tag):
                let node = YAMLNode(.scalar(value, style: style), mark: event.start, tag: tag, anchor: anchor)
                if let done = try add(Built(node: node, size: 1)) { root = done }
            case .sequenceStart(let anchor, let tag):
                try push(.sequence(start: event.start, anchor: anchor, tag: tag, items: [], size: 1), at: event.start)
            case .mappingStart(let anchor, let tag):
                try push(.mapping(start: event.start, anchor: anchor, tag: tag, pairs: [], pendingKey: nil, keys: [], size: 1), at: event.start)
            case .sequenceEnd, .mappingEnd:
                guard let frame = stack.popLast() else {
                    throw YAMLError(kind: .internalError, message: "unbalanced collection end", mark: event.start)
                }
                let built: Built
                switch frame {
                case .sequence(let start, let anchor, let tag, let items, let size):
                    built = Built(node: YAMLNode(.sequence(items), mark: start, tag: tag, anchor: anchor), size: size)
                case .mapping(let start, let anchor, let tag, let pairs, _, _, let size):
                    built = Built(node: YAMLNode(.mapping(pairs), mark: start, tag: tag, anchor: anchor), size: size)
                }
                if let done = try add(built) { root = done }
            }
        }
    }

    mutating func push(_ frame: Frame, at mark: Mark) throws(YAMLError) {
        guard stack.count < limits.maxDepth else {
            throw YAMLError(kind: .tooDeep, message: "nesting is deeper than \(limits.maxDepth) levels", mark: mark)
        }
        stack.append(frame)
    }

    /// Adds a finished node to the open collection; returns it when it is the document root.
    mutating func add(_ built: Built) throws(YAMLError) -> YAMLNode? {
        if let anchor = built.node.anchor { anchors[anchor] = built }
        guard let top = stack.popLast() else { return built.node }
        switch top {
        case .sequence(let start, let anchor, let tag, var items, let size):
            items.append(built.node)
            stack.append(.sequence(start: start, anchor: anchor, tag: tag, items: items, size: size + built.size))
        case .mapping(let start, let anchor, let tag, var pairs, let pendingKey, var keys, let size):
            if let key = pendingKey {
                pairs.append(YAMLPair(key: key, value: built.node))
                stack.append(.mapping(start: start, anchor: anchor, tag: tag, pairs: pairs, pendingKey: nil, keys: keys, size: size + built.size))
            } else {
                let identity = Self.identity(of: built.node)
                guard keys.insert(identity).inserted else {
                    let first = pairs.first { Self.identity(of: $0.key) == identity }?.key.mark
                    let shown = built.node.scalarText.map { "\"\($0)\"" } ?? "key"
                    let previous = first.map { " (first at line \($0.line), column \($0.column))" } ?? ""
                    throw YAMLError(kind: .duplicateKey, message: "duplicate key \(shown) in a mapping\(previous)", mark: built.node.mark)
                }
                stack.append(.mapping(start: start, anchor: anchor, tag: tag, pairs: pairs, pendingKey: built.node, keys: keys, size: size + built.size))
            }
        }
        return nil
    }

    /// Keys are compared by content: scalars by their text, collections structurally (marks ignored).
    static func identity(of node: YAMLNode) -> String {
        switch node.kind {
        case .scalar(let s, _): return "s" + String(s.utf8.count) + ":" + s
        case .sequence(let items): return "[" + items.map(identity).joined(separator: ",") + "]"
        case .mapping(let pairs): return "{" + pairs.map { identity(of: $0.key) + ":" + identity(of: $0.value) }.joined(separator: ",") + "}"
        }
    }
}
