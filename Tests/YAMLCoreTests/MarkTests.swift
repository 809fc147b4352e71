import Testing
import TestSupport
import YAMLCore

/// Positions: `Mark.position` against lines and columns counted from the text itself, and the marks of parse
/// errors against the place the test put the fault.
@Suite(.ownThread) struct MarkTests {
    /// The 1-based line and column of the first `needle` in `text`, counted over lines split at `\n`.
    func place(of needle: Character, in text: String) -> Mark? {
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let at = line.firstIndex(of: needle) {
                return Mark(line: i + 1, column: line.unicodeScalars.distance(from: line.unicodeScalars.startIndex, to: at) + 1)
            }
        }
        return nil
    }

    func failure(_ text: String) -> YAMLError? {
        do {
            _ = try YAMLParser.parse(Array(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    static let documents = [
        "a: 1\nb: @x\n",
        "first: 1\nsecond:\n  nested: `tick\n",
        "k: v\nlist:\n  - one\n  - two\n  - @three\n",
        "été: 1\nñ: @café\n",
    ]

    @Test(arguments: documents)
    func aCharacterThatCannotStartATokenIsReportedWhereItIs(text: String) throws {
        let bad = text.contains("@") ? Character("@") : Character("`")
        let expected = try #require(place(of: bad, in: text))
        let e = try #require(failure(text))
        #expect(e.kind == .syntax)
        #expect(e.mark == expected, "\(e)")
        #expect(e.line == expected.line && e.column == expected.column)
        #expect(e.description.hasPrefix("\(expected.line):\(expected.column):"))
        #expect(!e.atEndOfInput)
    }

    @Test(arguments: ["\n", "\r\n", "\r"])
    func everyLineBreakStartsALine(br: String) {
        let bytes = Array("ab\(br)cd\(br)e".utf8)
        let e = bytes.lastIndex(of: UInt8(ascii: "e"))!
        #expect(Mark.position(of: e, in: bytes) == Mark(line: 3, column: 1))
        #expect(Mark.position(of: 1, in: bytes) == Mark(line: 1, column: 2))
        #expect(Mark.end(of: bytes) == Mark(line: 3, column: 2))
    }

    @Test func columnsCountCharactersNotBytes() {
        let text = "ü€🙂x"
        let bytes = Array(text.utf8)
        let x = bytes.firstIndex(of: UInt8(ascii: "x"))!
        #expect(Mark.position(of: x, in: bytes).column == text.unicodeScalars.count)
        #expect(Mark.end(of: bytes) == Mark(line: 1, column: text.unicodeScalars.count + 1))
    }

    @Test func anOffsetPastTheEndIsTheEnd() {
        let bytes = Array("a\nb".utf8)
        #expect(Mark.position(of: 99, in: bytes) == Mark.end(of: bytes))
        #expect(Mark.position(of: 0, in: []) == Mark(line: 1, column: 1))
    }

    @Test func marksOrderByLineThenColumn() {
        #expect(Mark(line: 1, column: 9) < Mark(line: 2, column: 1))
        #expect(Mark(line: 2, column: 1) < Mark(line: 2, column: 3))
        #expect(!(Mark(line: 2, column: 3) < Mark(line: 2, column: 3)))
    }

    @Test func anUnclosedFlowSequenceIsAtTheEnd() throws {
        let e = try #require(failure("a: [1, 2\nb: 3\n"))
        #expect(e.kind == .syntax)
        #expect(e.mark.line >= 2, "the fault shows only after the line that opened the sequence: \(e)")
    }
}
