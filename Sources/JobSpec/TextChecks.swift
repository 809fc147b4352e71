import YAMLCore

/// Byte-level checks that run before YAML parsing.
enum TextChecks {
    static func isBlank(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }

    static func checkSize(_ bytes: [UInt8], file: String, what: String) throws(JobError) {
        guard bytes.count > JobLoader.maxFileSize else { return }
        throw JobError(reason: .tooLarge, file: file,
                       message: "\(what) is larger than \(JobLoader.maxFileSize) bytes",
                       expected: "at most \(JobLoader.maxFileSize) bytes")
    }

    static func checkUTF8(_ bytes: [UInt8], file: String) throws(JobError) {
        guard let bad = firstInvalidUTF8(bytes) else { return }
        let mark = Mark.position(of: bad, in: bytes)
        throw JobError(reason: .notUTF8, file: file, line: mark.line, column: mark.column,
                       message: "not valid UTF-8: byte 0x\(String(bytes[bad], radix: 16)) at offset \(bad)",
                       expected: "UTF-8 text")
    }

    /// Offset of the first byte that does not start a valid UTF-8 sequence
    /// (rejects overlong forms, surrogates and code points above U+10FFFF).
    static func firstInvalidUTF8(_ b: [UInt8]) -> Int? {
        var i = 0
        while i < b.count {
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            let need: Int
            var lo: UInt8 = 0x80
            var hi: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; hi = 0x9F
            case 0xF0: need = 3; lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; hi = 0x8F
            default: return i
            }
            guard i + need < b.count else { return i }
            guard b[i + 1] >= lo && b[i + 1] <= hi else { return i }
            for k in 2..<(need + 1) where b[i + k] & 0xC0 != 0x80 { return i }
            i += need + 1
        }
        return nil
    }
}
