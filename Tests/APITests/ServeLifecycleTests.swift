import Foundation
import HTTPClient
import JSONCore
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `serve` as a service: SIGTERM ends its event streams and it exits cleanly.
@Suite("serve lifecycle", .serialized, .ownThread)
struct ServeLifecycleTests {
    /// A client follows a queued run's events (the stream would stay open until the run finishes). SIGTERM
    /// ends the stream without an `end` event (the run goes on) and the server exits 0.
    @Test func sigtermEndsOpenEventStreamsAndExitsCleanly() async throws {
        let s = try TestSpool()
        let server = try ServeProcess(s)
        let id = try await server.submit("steps:\n  - run: \"true\"\n")
        let opened = Box(false)
        nonisolated(unsafe) let client = server  // only read from the one task below until it ends
        let reader = Task { try await client.events(id) { got in
            if !got.isEmpty { opened.value = true }
            return false
        } }
        #expect(s.wait(timeout: 20) { opened.value }, "the stream delivered the queued event")
        server.process.kill(SIGTERM)
        let got = try await withThrowingTaskGroup(of: [SSEEvent]?.self) { group in
            group.addTask { try await reader.value }
            group.addTask { try await Task.sleep(for: .seconds(10)); return nil }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        let events = try #require(got, "the stream did not end within 10 s of SIGTERM")
        #expect(events.first?.event == "queued")
        #expect(!events.contains { $0.event == "end" }, "the run did not end: no end event")
        // A serve still running must fail the test, not trap in Process.terminationStatus and end the whole run.
        try #require(server.process.waitForExit(timeout: 10), "serve exits after SIGTERM; log:\n\(server.process.logText)")
        #expect(server.process.exitStatus == 0, "\(server.process.logText)")
    }
}
