/// A position in the YAML input. Both fields are **1-based** (libyaml's marks are 0-based;
/// the conversion happens once, in `EventParser`). Columns count Unicode scalars, not bytes.
public struct Mark: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (a: Mark, b: Mark) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    public var description: String { "\(line):\(column)" }

    /// The mark just past the last character of `bytes`, counted the way libyaml counts:
    /// a line break (`\n`, `\r\n` or a lone `\r`) starts a new line; columns count scalars.
    public static func end(of bytes: [UInt8]) -> Mark {
        position(of: bytes.count, in: bytes)
    }

    /// The 1-based line and column of the byte at `offset` (or of the end, when `offset == bytes.count`).
    public static func position(of offset: Int, in bytes: [UInt8]) -> Mark {
        var line = 1
        var column = 1
        var i = 0
        let stop = min(offset, bytes.count)
        while i < stop {
            let b = bytes[i]
            if b == 0x0A {
                line += 1; column = 1
            } else if b == 0x0D {
                if i + 1 < bytes.count && bytes[i + 1] == 0x0A {
                    // `\r\n` is one break, counted at the `\n`.
                } else {
                    line += 1; column = 1
                }
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        return Mark(line: line, column: column)
    }
}
