/// A path as raw bytes. Job files are named by whoever drops them, and a name that is not valid
/// UTF-8 must still be claimable and reportable, which a Swift `String` cannot promise.
public struct FilePath: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var bytes: [UInt8]

    public init(_ string: String) { bytes = Array(string.utf8) }
    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(stringLiteral value: String) { self.init(value) }

    /// `self/component`.
    public func appending(_ component: String) -> FilePath { appending(bytes: Array(component.utf8)) }

    public func appending(bytes component: [UInt8]) -> FilePath {
        if bytes.isEmpty { return FilePath(bytes: component) }
        if bytes.last == 0x2F { return FilePath(bytes: bytes + component) }
        return FilePath(bytes: bytes + [0x2F] + component)
    }

    /// Everything before the last "/" ("." when there is none).
    public var parent: FilePath {
        guard let slash = bytes.lastIndex(of: 0x2F) else { return FilePath(".") }
        if slash == 0 { return FilePath("/") }
        return FilePath(bytes: Array(bytes[..<slash]))
    }

    /// The last component.
    public var lastComponent: [UInt8] {
        guard let slash = bytes.lastIndex(of: 0x2F) else { return bytes }
        return Array(bytes[(slash + 1)...])
    }

    /// The path for humans: invalid UTF-8 is shown as U+FFFD. Use `bytes` for anything that touches the disk.
    public var display: String { String(decoding: bytes, as: UTF8.self) }
    public var description: String { display }

    /// True when `bytes` is valid UTF-8 (and `display` is therefore exact).
    public var isValidUTF8: Bool { String(validating: bytes, as: UTF8.self) != nil }

    public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        var z = bytes
        z.append(0)
        return try z.withUnsafeBufferPointer { try $0.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) } }
    }
}
