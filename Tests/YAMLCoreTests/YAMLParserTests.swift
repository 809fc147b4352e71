import Testing
import TestSupport
import YAMLCore

@Suite(.ownThread) struct YAMLParserTests {
    func parse(_ text: String, limits: YAMLLimits = YAMLLimits()) throws(YAMLError) -> YAMLNode? {
        try YAMLParser.parse(Array(text.utf8), limits: limits)
    }

    func failure(_ text: String, limits: YAMLLimits = YAMLLimits()) -> YAMLError? {
        do {
            _ = try parse(text, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func buildsTreeWithOneBasedMarks() throws {
        let root = try #require(try parse("a: 1\nlist:\n  - x\n  - 'y'\n"))
        let pairs = try #require(root.mapping)
        #expect(pairs.map { $0.key.scalarText } == ["a", "list"])
        #expect(root.mark == Mark(line: 1, column: 1))
        #expect(pairs[0].value.mark == Mark(line: 1, column: 4))
        #expect(pairs[0].value.value == .int(1))
        let items = try #require(pairs[1].value.sequence)
        #expect(items.count == 2)
        #expect(items[0].mark == Mark(line: 3, column: 5))
        #expect(items[1].kind == .scalar("y", style: .singleQuoted))
        #expect(items[1].mark == Mark(line: 4, column: 5))
    }

    @Test func emptyStreamHasNoDocument() throws {
        #expect(try parse("") == nil)
        #expect(try parse("# only a comment\n") == nil)
    }

    @Test func anchorsAndAliasesExpand() throws {
        let root = try #require(try parse("base: &b {x: 1}\nother: *b\n"))
        let other = try #require(root["other"])
        #expect(other["x"]?.value == .int(1))
        #expect(other.mark == Mark(line: 2, column: 8))
    }

    @Test func unknownAliasIsAnError() {
        let e = failure("a: 1\nb: *nope\n")
        #expect(e?.kind == .unknownAlias)
        #expect(e?.mark == Mark(line: 2, column: 4))
    }

    @Test func selfReferenceIsAnUnknownAlias() {
        #expect(failure("a: &x [1, *x]\n")?.kind == .unknownAlias)
    }

    @Test func duplicateKeyReportsSecondKey() {
        let e = failure("a: 1\nb: 2\na: 3\n")
        #expect(e?.kind == .duplicateKey)
        #expect(e?.mark == Mark(line: 3, column: 1))
        #expect(e?.message.contains("first at line 1, column 1") == true)
    }

    @Test func duplicateKeyInNestedFlowMapping() {
        let e = failure("x:\n  - {k: 1, k: 2}\n")
        #expect(e?.kind == .duplicateKey)
        #expect(e?.mark == Mark(line: 2, column: 12))
    }

    @Test func secondDocumentIsAnError() {
        let e = failure("a: 1\n---\nb: 2\n")
        #expect(e?.kind == .multipleDocuments)
        #expect(e?.mark == Mark(line: 2, column: 1))
    }

    @Test func nestingDepthIsCapped() {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65) + "\n"
        let e = failure(deep)
        #expect(e?.kind == .tooDeep)
        #expect(e?.mark == Mark(line: 1, column: 65))
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "\n"
        #expect(failure(ok) == nil)
    }

    @Test func billionLaughsIsCapped() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 {
            let refs = Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ")
            text += "a\(i): &a\(i) [\(refs)]\n"
        }
        let e = failure(text)
        #expect(e?.kind == .tooManyAliases)
        // 10 + 10*11 + 10*111 = 1230 aliased nodes after line 3; line 4 pushes past 10 000.
        #expect(e?.mark.line == 4)
    }

    @Test func syntaxErrorCarriesPositionAndEndFlag() {
        let bad = failure("a: [1, 2\n")
        #expect(bad?.kind == .syntax)
        #expect(bad?.atEndOfInput == true)
        let middle = failure("a: b: c\nd: 1\n")
        #expect(middle?.kind == .syntax)
        #expect(middle?.mark == Mark(line: 1, column: 5))
        #expect(middle?.atEndOfInput == false)
    }

    @Test func coreSchemaResolution() {
        #expect(ScalarResolver.resolvePlain("~") == .null)
        #expect(ScalarResolver.resolvePlain("") == .null)
        #expect(ScalarResolver.resolvePlain("True") == .bool(true))
        #expect(ScalarResolver.resolvePlain("yes") == .string("yes"))
        #expect(ScalarResolver.resolvePlain("no") == .string("no"))
        #expect(ScalarResolver.resolvePlain("-42") == .int(-42))
        #expect(ScalarResolver.resolvePlain("0x1F") == .int(31))
        #expect(ScalarResolver.resolvePlain("0o17") == .int(15))
        #expect(ScalarResolver.resolvePlain("1.5e3") == .float(1500))
        #expect(ScalarResolver.resolvePlain(".5") == .float(0.5))
        #expect(ScalarResolver.resolvePlain("1_000") == .string("1_000"))
        #expect(ScalarResolver.resolvePlain("1.2.3") == .string("1.2.3"))
        #expect(ScalarResolver.resolve("42", style: .doubleQuoted, tag: nil) == .string("42"))
        #expect(ScalarResolver.resolve("42", style: .doubleQuoted, tag: CoreTag.int) == .int(42))
        #expect(ScalarResolver.resolve("true", style: .plain, tag: CoreTag.str) == .string("true"))
    }

    @Test func tagsAreResolvedToFullForm() throws {
        let root = try #require(try parse("a: !!str 12\n"))
        #expect(root["a"]?.tag == CoreTag.str)
        #expect(root["a"]?.value == .string("12"))
    }
}
