/// A scalar's typed value under the **YAML 1.2 core schema**:
///
/// - null: `null`, `Null`, `NULL`, `~`, or nothing at all;
/// - bool: `true`/`True`/`TRUE`/`false`/`False`/`FALSE` only — `yes`, `no`, `on`, `off`
///   are plain strings (the YAML 1.1 "Norway problem" does not apply);
/// - int: `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`;
/// - float: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?.inf`, `.nan` (with the usual case variants);
/// - anything else is a string.
///
/// Only plain (unquoted) scalars without a tag are resolved. Quoted and block scalars, and the
/// non-specific tag `!`, are always strings. The core tags `!!null`, `!!bool`, `!!int`, `!!float`, `!!str`
/// force a type; a value that does not fit the forced type stays a string.
public enum YAMLValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)

    /// "null", "a boolean", "an integer", "a number", "a string": for error messages.
    public var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .float: "a number"
        case .string: "a string"
        }
    }
}

public enum CoreTag {
    public static let null = "tag:yaml.org,2002:null"
    public static let bool = "tag:yaml.org,2002:bool"
    public static let int = "tag:yaml.org,2002:int"
    public static let float = "tag:yaml.org,2002:float"
    public static let str = "tag:yaml.org,2002:str"
    public static let seq = "tag:yaml.org,2002:seq"
    public static let map = "tag:yaml.org,2002:map"
    public static let all: Set<String> = [null, bool, int, float, str, seq, map, "!"]
}

public enum ScalarResolver {
    public static func resolve(_ text: String, style: ScalarStyle, tag: String?) -> YAMLValue {
        switch tag {
        case nil:
            return style == .plain ? resolvePlain(text) : .string(text)
        case CoreTag.null?:
            return isNull(text) ? .null : .string(text)
        case CoreTag.bool?:
            return bool(text).map(YAMLValue.bool) ?? .string(text)
        case CoreTag.int?:
            return int(text).map(YAMLValue.int) ?? .string(text)
        case CoreTag.float?:
            if let i = int(text) { return .float(Double(i)) }
            return float(text).map(YAMLValue.float) ?? .string(text)
        default:
            return .string(text)
        }
    }

    public static func resolvePlain(_ text: String) -> YAMLValue {
        if isNull(text) { return .null }
        if let b = bool(text) { return .bool(b) }
        if let i = int(text) { return .int(i) }
        if let f = float(text) { return .float(f) }
        return .string(text)
    }

    public static func isNull(_ s: String) -> Bool {
        s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL"
    }

    public static func bool(_ s: String) -> Bool? {
        switch s {
        case "true", "True", "TRUE": true
        case "false", "False", "FALSE": false
        default: nil
        }
    }

    /// Core-schema integers. Decimal integers too large for `Int` are not integers (they resolve as floats).
    public static func int(_ s: String) -> Int? {
        let u = Array(s.utf8)
        guard !u.isEmpty else { return nil }
        if u.count > 2 && u[0] == UInt8(ascii: "0") {
            let body = String(decoding: u[2...], as: UTF8.self)
            if u[1] == UInt8(ascii: "o") { return u[2...].allSatisfy(isOctal) ? Int(body, radix: 8) : nil }
            if u[1] == UInt8(ascii: "x") { return u[2...].allSatisfy(isHex) ? Int(body, radix: 16) : nil }
        }
        var digits = u[...]
        if let first = digits.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy(isDigit) else { return nil }
        return Int(s)
    }

    public static func float(_ s: String) -> Double? {
        switch s {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        guard matchesFloat(Array(s.utf8)) else { return nil }
        return Double(s)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    static func matchesFloat(_ u: [UInt8]) -> Bool {
        var i = 0
        func digits() -> Int {
            let start = i
            while i < u.count, isDigit(u[i]) { i += 1 }
            return i - start
        }
        if i < u.count, u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") { i += 1 }
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { return false }
        } else {
            guard digits() > 0 else { return false }
            if i < u.count, u[i] == UInt8(ascii: ".") {
                i += 1
                _ = digits()
            }
        }
        if i < u.count, u[i] == UInt8(ascii: "e") || u[i] == UInt8(ascii: "E") {
            i += 1
            if i < u.count, u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") { i += 1 }
            guard digits() > 0 else { return false }
        }
        return i == u.count
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    static func isOctal(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "7") }
    static func isHex(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "f")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "F"))
    }
}

extension YAMLNode {
    /// The scalar's core-schema value; nil for sequences and mappings.
    public var value: YAMLValue? {
        guard case .scalar(let text, let style) = kind else { return nil }
        return ScalarResolver.resolve(text, style: style, tag: tag)
    }

    /// "a string", "an integer", "a list", "a mapping", …: what this node is, for error messages.
    public var kindDescription: String {
        switch kind {
        case .scalar: value?.kindDescription ?? "a scalar"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}
