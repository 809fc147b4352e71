/// The checks a job file passes before YAML parsing: size, emptiness, UTF-8, a final newline.
enum FileChecks {
    /// Line and column (1-based, column in bytes) of byte offset `offset`.
    static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        for i in 0..<min(offset, bytes.count) where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return (line, offset - lineStart + 1)
    }

    /// Offset of the first byte that is not part of valid UTF-8, or nil.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let need: Int
            var minScalar: UInt32
            if b & 0xE0 == 0xC0 { need = 1; minScalar = 0x80 }
            else if b & 0xF0 == 0xE0 { need = 2; minScalar = 0x800 }
            else if b & 0xF8 == 0xF0 { need = 3; minScalar = 0x10000 }
            else { return i }
            guard i + need < n else { return i }
            var scalar = UInt32(b) & (0x3F >> need)
            for k in 1...need {
                let c = bytes[i + k]
                guard c & 0xC0 == 0x80 else { return i }
                scalar = scalar << 6 | UInt32(c & 0x3F)
            }
            if scalar < minScalar || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return i }
            minScalar = 0
            i += need + 1
        }
        return nil
    }

    static func isBlank(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }

    /// Runs every check; returns the YAML text to parse.
    static func check(_ bytes: [UInt8], file: String, limit: Int, requireFinalNewline: Bool) throws(JobError) {
        if bytes.count > limit {
            throw JobError(reason: .tooLarge, file: file,
                           message: "the file is \(bytes.count) bytes; a job file may be at most \(limit) bytes (1 MiB)",
                           expected: "a file of at most \(limit) bytes")
        }
        if isBlank(bytes) {
            throw JobError(reason: .empty, file: file, line: 1, column: 1,
                           message: bytes.isEmpty ? "the file is empty" : "the file holds only white space",
                           expected: "a YAML mapping with at least `steps:`", mayBeIncomplete: true)
        }
        if let bad = firstInvalidUTF8(bytes) {
            let (line, column) = position(of: bad, in: bytes)
            throw JobError(reason: .notUTF8, file: file, line: line, column: column,
                           message: "byte 0x\(String(bytes[bad], radix: 16, uppercase: true)) is not valid UTF-8; job files must be UTF-8 text",
                           expected: "UTF-8 text")
        }
        if requireFinalNewline && bytes.last != 0x0A {
            let (line, column) = position(of: bytes.count, in: bytes)
            throw JobError(reason: .truncated, file: file, line: line, column: column,
                           message: "the file does not end with a newline, so it may be cut short (an interrupted copy or `rsync --partial`); end the file with a newline",
                           expected: "a newline at the end of the file", mayBeIncomplete: true)
        }
    }
}
