import Foundation
import HTTPClient
import Testing
import TestSupport

private func parse(_ text: String) -> [SSEEvent] { parse(Array(text.utf8)) }
private func parse(_ bytes: [UInt8]) -> [SSEEvent] {
    var p = SSEParser()
    return p.feed(bytes) + p.finish()
}

/// Feeds `bytes` in pieces cut at `cuts` (sorted offsets).
private func parse(_ bytes: [UInt8], cuts: [Int]) -> [SSEEvent] {
    var p = SSEParser()
    var events: [SSEEvent] = []
    var start = 0
    for cut in cuts + [bytes.count] {
        events += p.feed(Array(bytes[start..<cut]))
        start = cut
    }
    return events + p.finish()
}

@Suite(.ownThread) struct SSEParsing {
    @Test func lineEndingsAllWork() {
        let expected = [SSEEvent(data: "a"), SSEEvent(data: "b")]
        #expect(parse("data: a\n\ndata: b\n\n") == expected)
        #expect(parse("data: a\r\n\r\ndata: b\r\n\r\n") == expected)
        #expect(parse("data: a\r\rdata: b\r\r") == expected)
        #expect(parse("data: a\r\n\ndata: b\n\r\n") == expected)
    }

    @Test func crAtChunkEndPairsWithLFInNextChunk() {
        var p = SSEParser()
        #expect(p.feed(Array("data: a\r".utf8)).isEmpty)
        #expect(p.feed(Array("\n".utf8)).isEmpty, "\\r\\n split across chunks is one line end, not a blank line")
        #expect(p.feed(Array("\r".utf8)) == [SSEEvent(data: "a")])
        #expect(p.feed(Array("\ndata: b\n\n".utf8)) == [SSEEvent(data: "b")])
    }

    @Test func commentsAreIgnored() {
        #expect(parse(": keep-alive\n\n:\n\ndata: x\n: inside\n\n") == [SSEEvent(data: "x")])
    }

    @Test func multipleDataLinesJoinWithNewline() {
        #expect(parse("data: a\ndata:b\ndata\ndata:  c\n\n") == [SSEEvent(data: "a\nb\n\n c")])
    }

    @Test func oneLeadingSpaceRemoved() {
        #expect(parse("data:x\n\n") == [SSEEvent(data: "x")])
        #expect(parse("data: x\n\n") == [SSEEvent(data: "x")])
        #expect(parse("data:  x \n\n") == [SSEEvent(data: " x ")])
        #expect(parse("event:  ping\ndata: {}\n\n") == [SSEEvent(event: " ping", data: "{}")])
    }

    @Test func eventTypeAndIdFields() {
        let events = parse("event: a\nid: 7\ndata: 1\n\ndata: 2\n\nid\ndata: 3\n\nid: x\u{0}y\ndata: 4\n\n")
        #expect(events == [
            SSEEvent(event: "a", data: "1", id: "7"),
            SSEEvent(event: nil, data: "2", id: "7"),  // the type resets, the last event ID persists
            SSEEvent(data: "3"),  // an empty id clears it
            SSEEvent(data: "4"),  // an id containing NUL is ignored
        ])
    }

    @Test func emptyDataBufferIsNotDispatched() {
        #expect(parse("event: ping\n\nid: 1\n\nretry: 100\n\n\n\n").isEmpty)
        #expect(parse("data\n\n") == [SSEEvent(data: "")], "a data field, even empty, makes an event")
        #expect(parse("data:\n\n") == [SSEEvent(data: "")])
    }

    @Test func retryAndUnknownFieldsIgnored() {
        #expect(parse("retry: 3000\nfoo: bar\ndata: x\n\n") == [SSEEvent(data: "x")])
        #expect(parse("Data: x\n\n").isEmpty, "field names are case-sensitive")
    }

    @Test func splitInsideUTF8Sequence() {
        let bytes = Array("data: é€😀\n\n".utf8)
        for cut in 1..<bytes.count {
            #expect(parse(bytes, cuts: [cut]) == [SSEEvent(data: "é€😀")], "cut at \(cut)")
        }
    }

    @Test func byteOrderMarkSkippedOnlyAtStart() {
        #expect(parse([0xEF, 0xBB, 0xBF] + Array("data: x\n\n".utf8)) == [SSEEvent(data: "x")])
        #expect(parse([0xEF, 0xBB, 0xBF] + Array("data: x\n\n".utf8), cuts: [1, 2]) == [SSEEvent(data: "x")])
    }

    @Test func endOfStreamDispatchesAPendingEvent() {
        var p = SSEParser()
        #expect(p.feed(Array("event: stop\ndata: {}".utf8)).isEmpty)
        #expect(p.hasPendingEvent)
        #expect(p.finish() == [SSEEvent(event: "stop", data: "{}")])
        #expect(!p.hasPendingEvent)
        var q = SSEParser()
        _ = q.feed(Array("data: a\n\n: comment".utf8))
        #expect(!q.hasPendingEvent)
        #expect(q.finish().isEmpty)
    }

    static let contracts: [String] = {
        // The vendors' recorded streams, copied from ../shared/contracts/llm into the shared test fixtures.
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TestSupport/Fixtures").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".sse") }.sorted().map { "\(dir)/\($0)" }
    }()

    @Test(arguments: contracts) func contractFixtureSplitAtEveryOffset(path: String) throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let whole = parse(bytes)
        #expect(whole.count >= 2)
        for event in whole { #expect(event.data.first == "{" || event.data == "[DONE]") }
        if path.contains("anthropic") { #expect(whole.last == SSEEvent(event: "message_stop", data: #"{"type":"message_stop"}"#)) }
        if path.contains("openai") { #expect(whole.last?.data == "[DONE]") }
        for cut in 1..<bytes.count {
            let split = parse(bytes, cuts: [cut])
            if split != whole { Issue.record("\(path): differs when split at \(cut)"); break }
        }
        // Random multi-way splits, including one-byte chunks.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let cuts = Set((0..<Int.random(in: 2...40, using: &rng)).map { _ in Int.random(in: 1..<bytes.count, using: &rng) }).sorted()
            #expect(parse(bytes, cuts: cuts) == whole)
        }
        #expect(parse(bytes, cuts: Array(1..<bytes.count)) == whole)
    }

    @Test func contractFixturesFound() { #expect(Self.contracts.count >= 5) }
}

@Suite(.ownThread) struct LineSplitting {
    private func split(_ pieces: [String]) -> [String] {
        var s = LineSplitter()
        var lines: [[UInt8]] = []
        for piece in pieces { lines += s.feed(Array(piece.utf8)) }
        return (lines + s.finish()).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func splitsOnNewlineStripsCRSkipsEmpty() {
        #expect(split(["{\"a\":1}\n{\"b\":2}\r\n\n\r\n{\"c\":3}\n"]) == [#"{"a":1}"#, #"{"b":2}"#, #"{"c":3}"#])
    }

    @Test func linesSpanChunksAndFinishReturnsTheLastUnterminatedLine() {
        #expect(split(["{\"a\"", ":1}\r", "\n{\"b\":", "2}"]) == [#"{"a":1}"#, #"{"b":2}"#])
        var s = LineSplitter()
        #expect(s.feed(Array("abc".utf8)).isEmpty)
        #expect(s.finish() == [Array("abc".utf8)])
        #expect(s.finish().isEmpty, "finish resets")
    }

    @Test func everySplitOffsetGivesTheSameLines() {
        let text = "{\"n\":1}\r\n{\"text\":\"é€\"}\n\n{\"n\":3}"
        let whole = split([text])
        #expect(whole.count == 3)
        let bytes = Array(text.utf8)
        for cut in 1..<bytes.count {
            var s = LineSplitter()
            let lines = s.feed(Array(bytes[..<cut])) + s.feed(Array(bytes[cut...])) + s.finish()
            #expect(lines.map { String(decoding: $0, as: UTF8.self) } == whole)
        }
    }
}
