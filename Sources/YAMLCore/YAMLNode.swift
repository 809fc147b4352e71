/// How a scalar was written. Only `plain` scalars go through type resolution (null/bool/int/float).
public enum ScalarStyle: String, Sendable {
    case plain, singleQuoted, doubleQuoted, literal, folded

    public var isQuoted: Bool { self == .singleQuoted || self == .doubleQuoted }
}

/// One key/value entry of a mapping, in document order. The key is a full node (with its mark).
public struct YAMLPair: Sendable, Equatable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// A node of the document tree. Aliases are already replaced by (copies of) their anchored node;
/// the copy's own `mark` is the alias's position, so errors point where the value is used.
public struct YAMLNode: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case scalar(String, style: ScalarStyle)
        case sequence([YAMLNode])
        /// Ordered, keys unique (the parser rejects duplicates).
        case mapping([YAMLPair])
    }

    public var kind: Kind
    /// 1-based start of the node.
    public var mark: Mark
    /// The explicit tag, resolved by libyaml to its full form (`!!int` → `tag:yaml.org,2002:int`); nil when none.
    public var tag: String?
    public var anchor: String?

    public init(_ kind: Kind, mark: Mark, tag: String? = nil, anchor: String? = nil) {
        self.kind = kind
        self.mark = mark
        self.tag = tag
        self.anchor = anchor
    }

    public var scalarText: String? {
        if case .scalar(let s, _) = kind { return s }
        return nil
    }

    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    public var mapping: [YAMLPair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    /// The value of `key` in a mapping whose keys are scalars; nil when absent or not a mapping.
    public subscript(key: String) -> YAMLNode? {
        mapping?.first { $0.key.scalarText == key }?.value
    }
}
