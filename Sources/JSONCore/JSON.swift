import Foundation

/// A JSON value whose objects keep their key order, so event lines always read `ts, seq, run, type, …`.
public enum JSON: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.null, .null): return true
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// Compact encoding with no newline inside, so one value is one JSON Lines record.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        encode(into: &out)
        return out
    }

    public func encode(into out: inout [UInt8]) {
        switch self {
        case .string(let s): JSON.encodeString(s, into: &out)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            if d.isFinite {
                if d == d.rounded(), abs(d) < 1e15 { out.append(contentsOf: String(Int(d)).utf8) }
                else { out.append(contentsOf: String(format: "%.3f", d).utf8) }
            } else { out.append(contentsOf: "null".utf8) }
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.encode(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in fields.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.encodeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                value.encode(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Escapes quotes, backslashes, every control character, and U+2028/U+2029 (which break JavaScript readers).
    /// It works on the UTF-8 bytes and copies the runs between escapes whole: every event line goes
    /// through here, and a scalar at a time (a `String` made for each one) was a tenth of a claim's CPU time.
    public static func encodeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { u in
            var run = 0, i = 0
            while i < u.count {
                let b = u[i]
                let width: Int
                if b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F {
                    width = 1
                } else if b == 0xE2, i + 2 < u.count, u[i + 1] == 0x80, u[i + 2] == 0xA8 || u[i + 2] == 0xA9 {
                    width = 3  // U+2028 or U+2029
                } else {
                    i += 1
                    continue
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: u[run..<i]))
                switch b {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                default:
                    let v = width == 3 ? 0x2000 | UInt32(u[i + 2] - 0x80) : UInt32(b)
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"),
                                            hex[Int((v >> 12) & 0xF)], hex[Int((v >> 8) & 0xF)],
                                            hex[Int((v >> 4) & 0xF)], hex[Int(v & 0xF)]])
                }
                i += width
                run = i
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: u[run..<u.count]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Parses one JSON text with Foundation and converts it (object key order is not preserved on read).
    public static func parse(_ bytes: [UInt8]) -> JSON? {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else { return nil }
        return JSON(foundation: obj)
    }

    public init?(foundation obj: Any) {
        switch obj {
        case let s as String: self = .string(s)
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { self = .bool(n.boolValue) }
            else if n.stringValue.contains(".") || n.stringValue.contains("e") { self = .double(n.doubleValue) }
            else { self = .int(n.intValue) }
        case let a as [Any]: self = .array(a.compactMap { JSON(foundation: $0) })
        case let d as [String: Any]: self = .object(d.keys.sorted().compactMap { k in JSON(foundation: d[k]!).map { (k, $0) } })
        case is NSNull: self = .null
        default: return nil
        }
    }

    public subscript(key: String) -> JSON? {
        if case .object(let fields) = self { return fields.first { $0.0 == key }?.1 }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d): return Int(d)
        default: return nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a }; return nil }
}
