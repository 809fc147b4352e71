import Foundation
import JSONCore
import Testing
import TestSupport

/// `JSON`: encoding checked by decoding it again with Foundation (an independent reader), parsing, and access.
@Suite(.ownThread) struct JSONTests {
    /// Decodes `bytes` with JSONSerialization; the test fails when Foundation rejects them.
    func foundation(_ bytes: [UInt8]) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    static let awkward: [String] = [
        "", "plain", "quote \" and backslash \\", "line\nbreak\r\ttab", "nul \u{0} bell \u{7} esc \u{1B} del \u{7F}",
        "separators \u{2028} \u{2029}", "ünïcødé ✓ 🙂", String((0..<32).map { Character(Unicode.Scalar($0)!) }),
    ]

    @Test(arguments: awkward)
    func stringsSurviveARoundTrip(text: String) throws {
        let bytes = JSON.string(text).encoded()
        #expect(try foundation(bytes) as? String == text)
        #expect(JSON.parse(bytes) == .string(text))
        #expect(!bytes.contains(0x0A) && !bytes.contains(0x0D), "one value is one line")
        #expect(bytes.allSatisfy { $0 >= 0x20 }, "no raw control character")
    }

    @Test func lineAndParagraphSeparatorsAreEscaped() {
        let text = String(decoding: JSON.string("a\u{2028}b\u{2029}c").encoded(), as: UTF8.self)
        #expect(!text.unicodeScalars.contains { $0.value == 0x2028 || $0.value == 0x2029 })
        #expect(text.lowercased().contains("\\u2028") && text.lowercased().contains("\\u2029"))
    }

    /// The exact bytes: escapes where they are due, and everything else (other scalars that start
    /// with the same UTF-8 bytes as U+2028, such as U+2020, included) copied through unchanged.
    @Test(arguments: [
        ("a\u{2028}", #""a\u2028""#), ("\u{2029}", #""\u2029""#), ("\u{2020}\u{2027}\u{202A}", "\"\u{2020}\u{2027}\u{202A}\""),
        ("\u{1F}x\u{7F}", #""\u001fx\u007f""#), ("\"\\\n\r\t", #""\"\\\n\r\t""#), ("ü🙂", "\"ü🙂\""), ("", #""""#),
    ])
    func escapesExactlyWhatIsDue(text: String, json: String) {
        #expect(String(decoding: JSON.string(text).encoded(), as: UTF8.self) == json)
    }

    /// Random strings from an alphabet of the awkward cases, against a reading by Foundation.
    @Test func randomStringsSurviveARoundTrip() throws {
        let alphabet: [Character] = ["a", "\"", "\\", "\n", "\u{0}", "\u{1F}", "\u{7F}", "\u{2028}", "\u{2029}", "\u{2020}", "é", "🙂", "\r\n"]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let text = String((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let bytes = JSON.string(text).encoded()
            #expect(try foundation(bytes) as? String == text, "\(Array(text.unicodeScalars))")
            #expect(!String(decoding: bytes, as: UTF8.self).unicodeScalars.contains { $0.value == 0x2028 || $0.value == 0x2029 })
        }
    }

    @Test func objectsKeepTheirKeyOrder() throws {
        let keys = ["ts", "seq", "run", "type", "b", "a"]
        let value = JSON.object(keys.enumerated().map { ($1, .int($0)) })
        let text = String(decoding: value.encoded(), as: UTF8.self)
        let positions = keys.map { text.range(of: "\"\($0)\":")!.lowerBound }
        #expect(positions == positions.sorted(), "keys in the order given: \(text)")
        let decoded = try #require(try foundation(value.encoded()) as? [String: Int])
        #expect(decoded == Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) }))
    }

    @Test func nestedValuesRoundTrip() throws {
        let value = JSON.object([
            ("a", .array([.int(1), .int(-2), .bool(true), .bool(false), .null, .string("x")])),
            ("b", .object([("c", .array([])), ("d", .object([]))])),
            ("e", .int(Int(Int32.max) * 4)),
        ])
        // parse does not keep key order, so compare with keys sorted (which this value already has).
        #expect(JSON.parse(value.encoded()) == value)
        let f = try #require(try foundation(value.encoded()) as? [String: Any])
        #expect((f["a"] as? [Any])?.count == 6)
        #expect(f["e"] as? Int == Int(Int32.max) * 4)
    }

    @Test(arguments: [0.5, -1.25, 3.0, 1e20, 123.456])
    func doublesEncodeAsNumbers(d: Double) throws {
        let decoded = try #require(try foundation(JSON.double(d).encoded()) as? NSNumber)
        #expect(abs(decoded.doubleValue - d) <= abs(d) * 1e-3)
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity])
    func nonFiniteDoublesBecomeNull(d: Double) throws {
        #expect(try foundation(JSON.double(d).encoded()) is NSNull)
    }

    @Test func parseTellsTheKindsApart() {
        let parsed = JSON.parse(Array(#"{"i": 3, "d": 2.5, "e": 1e3, "t": true, "f": false, "n": null, "s": "3"}"#.utf8))
        #expect(parsed?["i"] == .int(3))
        #expect(parsed?["d"] == .double(2.5))
        #expect(parsed?["e"]?.doubleValue == 1000)
        #expect(parsed?["t"] == .bool(true) && parsed?["f"] == .bool(false))
        #expect(parsed?["n"] == .null)
        #expect(parsed?["s"] == .string("3"), "a quoted number stays a string")
    }

    @Test(arguments: ["", "{", "[1,", "{\"a\" 1}", "nul", "\"unterminated", "{'a': 1}", "[1] [2]"])
    func invalidTextDoesNotParse(text: String) {
        #expect(JSON.parse(Array(text.utf8)) == nil)
    }

    @Test func accessorsAnswerOnlyForTheirKind() {
        #expect(JSON.int(4).intValue == 4 && JSON.int(4).doubleValue == 4 && JSON.int(4).stringValue == nil)
        #expect(JSON.double(2.75).intValue == 2 && JSON.double(2.75).doubleValue == 2.75)
        #expect(JSON.string("x").stringValue == "x" && JSON.string("x").boolValue == nil)
        #expect(JSON.array([.null]).arrayValue == [.null] && JSON.null.arrayValue == nil)
        #expect(JSON.array([.int(1)])["k"] == nil, "only objects have keys")
        #expect(JSON.object([("k", .int(1)), ("k", .int(2))])["k"] == .int(1), "the first of a repeated key")
    }

    @Test func equalityComparesObjectsInOrder() {
        let ab = JSON.object([("a", .int(1)), ("b", .int(2))])
        let ba = JSON.object([("b", .int(2)), ("a", .int(1))])
        #expect(ab == ab && ab != ba)
        #expect(JSON.int(1) != JSON.double(1), "an int and a double are different values")
        #expect(JSON.array([.int(1)]) != JSON.array([.int(1), .int(1)]))
    }
}
