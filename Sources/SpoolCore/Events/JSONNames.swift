import Foundation
@_exported import JSONCore
@_exported import RunEvents

extension JSON {
    /// A file name as JSON fields: `name` (invalid UTF-8 bytes shown as U+FFFD) and, only when the
    /// name is not valid UTF-8, `name_b64` with the exact bytes, so nothing about a hostile name is lost.
    public static func nameFields(_ key: String, _ bytes: [UInt8]) -> [(String, JSON)] {
        let path = FilePath(bytes: bytes)
        var fields: [(String, JSON)] = [(key, .string(path.display))]
        if !path.isValidUTF8 { fields.append(("\(key)_b64", .string(Data(bytes).base64EncodedString()))) }
        return fields
    }
}
