/// A position in a YAML text, 1-based (libyaml's own marks are 0-based).
public struct Mark: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}

/// One node of a parsed YAML document, with the position where it starts.
public struct YAMLNode: Sendable {
    public indirect enum Kind: Sendable {
        case scalar(String, style: ScalarStyle, tag: String?)
        case sequence([YAMLNode])
        /// Keys in document order.
        case mapping([(key: YAMLNode, value: YAMLNode)])
    }

    public enum ScalarStyle: Sendable, Equatable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    public var kind: Kind
    public var mark: Mark
    /// Nodes in this subtree, aliases expanded: guards against alias bombs.
    public var size: Int

    public init(kind: Kind, mark: Mark) {
        self.kind = kind
        self.mark = mark
        switch kind {
        case .scalar: size = 1
        case .sequence(let items): size = 1 + items.reduce(0) { $0 + $1.size }
        case .mapping(let pairs): size = 1 + pairs.reduce(0) { $0 + $1.key.size + $1.value.size }
        }
    }

    /// "a string", "a list", "a mapping", "a number", "true/false", "null": for error messages.
    public var kindDescription: String {
        switch kind {
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .scalar:
            switch resolved {
            case .null: return "null"
            case .bool: return "true/false"
            case .int, .float: return "a number"
            case .string: return "a string"
            }
        }
    }

    /// The scalar's text, if this is a scalar.
    public var scalarText: String? {
        if case .scalar(let s, _, _) = kind { return s }
        return nil
    }
}

/// What a scalar means under the YAML 1.2 core schema: only plain (unquoted) scalars can be
/// null, booleans (`true`/`false` in any case, never `yes`/`no`) or numbers.
public enum ResolvedScalar: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
}

extension YAMLNode {
    public var resolved: ResolvedScalar {
        guard case .scalar(let text, let style, let tag) = kind else { return .null }
        if let tag, tag == "tag:yaml.org,2002:str" || tag == "!" { return .string(text) }
        guard style == .plain else { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .float(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .float(-.infinity)
        case ".nan", ".NaN", ".NAN": return .float(.nan)
        default: break
        }
        if let i = YAMLNode.integer(text) { return .int(i) }
        if YAMLNode.looksLikeFloat(text), let d = Double(text) { return .float(d) }
        return .string(text)
    }

    static func integer(_ text: String) -> Int? {
        if text.hasPrefix("0x") { return Int(text.dropFirst(2), radix: 16) }
        if text.hasPrefix("0o") { return Int(text.dropFirst(2), radix: 8) }
        let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    static func looksLikeFloat(_ text: String) -> Bool {
        var sawDigit = false
        for (i, c) in text.enumerated() {
            if c.isASCII && c.isNumber { sawDigit = true; continue }
            if c == "." || c == "e" || c == "E" { continue }
            if (c == "-" || c == "+") && (i == 0 || text[text.index(text.startIndex, offsetBy: i - 1)].lowercased() == "e") { continue }
            return false
        }
        return sawDigit
    }
}
