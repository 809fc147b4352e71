@testable import APIServer
import JSONCore
import SpoolCore
import Testing
import TestSupport

/// An events file is plain text anyone can append to: nothing in a line may start a second SSE event.
@Suite("SSE framing", .ownThread)
struct SSEFrameTests {
    @Test func aLineCannotInjectEvents() {
        let hostile = #"{"ts":"2026-11-25T00:00:00.000Z","seq":7,"run":"r","type":"x\r\nevent: injected\r\ndata: {}\n\nid: 99"}"#
        let events = EventReader.parse(Array((hostile + "\n").utf8))
        #expect(events.count == 1)
        var out: [UInt8] = []
        EventStream.frame(events[0], into: &out)
        let text = String(decoding: out, as: UTF8.self)
        // One event: its own id, one event line, one data line, one blank line at the end.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 5, "\(text)")
        #expect(lines[0] == "id: 7")
        #expect(lines[1].hasPrefix("event: x") && !lines[1].contains("\r"))
        #expect(lines[2].hasPrefix("data: {"))
        #expect(lines[3].isEmpty && lines[4].isEmpty)
    }
}
