import Foundation
import HTTPClient
import Testing
import TestSupport

@Suite(.ownThread) struct Transfers {
    @Test func headStatusHeadersAndBody() async throws {
        let r = try await HTTP.send(HTTPClientRequest(url: stub("/json")))
        #expect(r.status == 200)
        #expect(r.text == #"{"ok":true}"#)
        #expect(r.head.headers["content-type"] == "application/json")
        #expect(r.head.headers["x-custom"] == "second", "repeated header: last value wins")
        #expect(r.head.headers["x-mixed-case"] == "Yes", "names lowercased, values untouched")
    }

    @Test func errorStatusesAreResponsesNotErrors() async throws {
        let r = try await HTTP.send(HTTPClientRequest(url: stub("/status?code=429&retry_after=1")))
        #expect(r.status == 429)
        #expect(r.head.headers["retry-after"] == "1")
        #expect(RetryPolicy().shouldRetry(status: r.status))
        let e = try await HTTP.send(HTTPClientRequest(url: stub("/status?code=500")))
        #expect(e.status == 500)
        #expect(e.text.contains("status 500"))
    }

    @Test func methodHeadersAndBodyAreSent() async throws {
        var headers: HTTPClientHeaders = ["Authorization": "Bearer sk-secret", "Content-Type": "application/json"]
        headers.add("X-Repeat", "a")
        let body = Array(String(repeating: "é", count: 3000).utf8)  // > 1 KiB: no 100-continue wait
        let r = try await HTTP.send(HTTPClientRequest(method: "POST", url: stub("/echo"), headers: headers, body: body))
        let echo = try JSONSerialization.jsonObject(with: Data(r.body)) as! [String: Any]
        #expect(echo["method"] as? String == "POST")
        #expect(echo["body"] as? String == String(decoding: body, as: UTF8.self))
        let sent = (echo["headers"] as! [[String]]).map { ($0[0].lowercased(), $0[1]) }
        #expect(sent.contains { $0 == ("authorization", "Bearer sk-secret") })
        #expect(sent.contains { $0 == ("x-repeat", "a") })
        #expect(sent.contains { $0 == ("user-agent", "agent-runner") })
        #expect(!sent.contains { $0.0 == "expect" }, "libcurl would wait up to 1 s for a 100-continue")

        let put = try await HTTP.send(HTTPClientRequest(method: "PUT", url: stub("/echo"), body: Array("x".utf8)))
        #expect(put.text.contains(#""method": "PUT""#))
    }

    @Test func redirectsOnlyWhenAsked() async throws {
        let plain = await collect(HTTPClientRequest(url: stub("/redirect")))
        #expect(plain.heads.map(\.status) == [302])
        #expect(plain.heads.first?.headers["location"] == "/json")

        let followed = await collect(HTTPClientRequest(url: stub("/redirect?hops=3"), followRedirects: true))
        #expect(followed.error == nil)
        #expect(followed.heads.map(\.status) == [200], "intermediate redirect blocks are not the head")
        #expect(String(decoding: followed.body, as: UTF8.self) == #"{"ok":true}"#)

        let tooMany = await collect(HTTPClientRequest(url: stub("/redirect?hops=9"), followRedirects: true))
        guard case .transport(_, let code, _)? = tooMany.error else { Issue.record("\(String(describing: tooMany.error))"); return }
        #expect(code == 47)  // CURLE_TOO_MANY_REDIRECTS
    }

    @Test func chunksArriveWhileTheResponseIsStillOpen() async throws {
        // The server holds the response open after the first event until /release is requested,
        // so seeing "first" before releasing proves nothing is buffered until the end.
        let token = UUID().uuidString
        var parser = SSEParser()
        var events: [SSEEvent] = []
        var sawHead = false
        for try await chunk in HTTP.stream(HTTPClientRequest(url: stub("/sse-gated?token=\(token)"))) {
            switch chunk {
            case .head(let head):
                sawHead = true
                #expect(head.headers["content-type"] == "text/event-stream")
            case .body(let bytes):
                #expect(sawHead)
                let new = parser.feed(bytes)
                if events.isEmpty, new.first?.data == "first" {
                    _ = try await HTTP.send(HTTPClientRequest(url: stub("/release?token=\(token)")))
                }
                events += new
            }
        }
        #expect(events.map(\.data) == ["first", "released"])
    }

    @Test func sseFromTheWire() async throws {
        var parser = SSEParser()
        var events: [SSEEvent] = []
        var bodyChunks = 0
        for try await chunk in HTTP.stream(HTTPClientRequest(url: stub("/sse"))) {
            if case .body(let bytes) = chunk { bodyChunks += 1; events += parser.feed(bytes) }
        }
        #expect(!parser.hasPendingEvent)
        #expect(events == [
            SSEEvent(event: "message_start", data: #"{"a":1}"#),
            SSEEvent(data: "café\nline2"),
            SSEEvent(event: "done", data: "[DONE]"),
        ])
        #expect(bodyChunks > 1)
    }

    @Test func ndjsonFromTheWire() async throws {
        var splitter = LineSplitter()
        var lines: [String] = []
        for try await chunk in HTTP.stream(HTTPClientRequest(url: stub("/ndjson"))) {
            if case .body(let bytes) = chunk { lines += splitter.feed(bytes).map { String(decoding: $0, as: UTF8.self) } }
        }
        lines += splitter.finish().map { String(decoding: $0, as: UTF8.self) }
        #expect(lines == [#"{"n":1}"#, #"{"n":2}"#, #"{"n":3}"#])
    }

    @Test func streamCutMidEventIsATransportError() async throws {
        var parser = SSEParser()
        var events: [SSEEvent] = []
        let result = await collect(HTTPClientRequest(url: stub("/cut")))
        events = parser.feed(result.body)
        #expect(events.map(\.data) == ["whole"])
        #expect(parser.hasPendingEvent, "the consumer can tell the stream was cut inside an event")
        guard case .transport(let url, _, _)? = result.error else { Issue.record("\(String(describing: result.error))"); return }
        #expect(url == stub("/cut"))
    }

    @Test func cancellingTheConsumerAbortsAHangingTransferPromptly() async throws {
        let id = UUID().uuidString
        let task = Task { await collect(HTTPClientRequest(url: stub("/hang?id=\(id)"))) }
        // Cancel only once the request is on the wire: cancelling before the connection exists proves less.
        #expect(try await serverSawRequest(id: id, within: 10))
        let (result, seconds) = await elapsed {
            task.cancel()
            return await task.value
        }
        #expect(result.error == .cancelled)
        // The server would hang for 10 s; the bound is loose because a loaded CI machine is slow, not because cancel is.
        #expect(seconds < 5)
        // The stub records a close only if the client went away before its own 10 s hang ended, so waiting for
        // the record as long as that takes (the machine may be loaded) cannot let a transfer that ran on pass.
        #expect(try await serverSawClose(id: id, within: 12), "the connection itself was closed before the 10 s hang ended")
    }

    @Test func breakingOutOfTheLoopAbortsTheTransfer() async throws {
        let id = UUID().uuidString
        var bodies = 0
        for try await chunk in HTTP.stream(HTTPClientRequest(url: stub("/forever?id=\(id)"))) {
            if case .body = chunk { bodies += 1 }
            if bodies == 2 { break }
        }
        // The stub records a close only if the client went away before its 400 chunks (10 s) were all sent: a
        // transfer that was not aborted ends normally and is never recorded, however long this waits. So the
        // wait is as long as the stream, not a guess at how fast a loaded machine aborts.
        #expect(try await serverSawClose(id: id, within: 12), "the server saw the client go away before the stream's end")
    }

    @Test func idleTimeout() async throws {
        let (hang, _) = await elapsed { await collect(HTTPClientRequest(url: stub("/hang"), idleTimeout: 0.5)) }
        #expect(hang.error == .timedOut(url: stub("/hang"), seconds: 0.5))
        // The error itself proves the idle timeout fired: the server's 10 s hang ending would not be `timedOut(0.5)`.

        // Mid-stream silence: the head and first event arrive, then the idle timeout fires (the server would
        // stay silent for 10 s, and the whole-transfer limit is 8 s). The idle limit leaves a loaded machine
        // 3 s to send the head: at the start of the suite, with every test starting at once, 0.5 s was not enough.
        let (quiet, _) = await elapsed {
            await collect(HTTPClientRequest(url: stub("/head-then-hang"), timeout: 8, idleTimeout: 3))
        }
        #expect(quiet.heads.map(\.status) == [200])
        #expect(String(decoding: quiet.body, as: UTF8.self) == "data: hello\n\n")
        #expect(quiet.error == .timedOut(url: stub("/head-then-hang"), seconds: 3))
    }

    @Test func wholeTransferTimeout() async throws {
        let r = await collect(HTTPClientRequest(url: stub("/forever"), timeout: 1.5))
        #expect(r.error == .timedOut(url: stub("/forever"), seconds: 1.5))
        #expect(r.heads.count == 1)
    }

    @Test func maxBodyBytes() async throws {
        let chunked = await collect(HTTPClientRequest(url: stub("/big?size=2000000"), maxBodyBytes: 100_000))
        #expect(chunked.error == .tooLarge(url: stub("/big?…"), limit: 100_000))
        #expect(chunked.body.count <= 100_000)
        #expect(chunked.error?.description.contains("100000-byte limit") == true)

        let declared = await collect(HTTPClientRequest(url: stub("/big?size=2000000&length=1"), maxBodyBytes: 100_000))
        #expect(declared.error == .tooLarge(url: stub("/big?…"), limit: 100_000))

        let fits = try await HTTP.send(HTTPClientRequest(url: stub("/big?size=50000&length=1"), maxBodyBytes: 100_000))
        #expect(fits.body.count == 50_000)
    }

    @Test func connectErrorNamesTheURLButNeverSecrets() async throws {
        let secret = "Bearer sk-secret"
        let request = HTTPClientRequest(method: "POST", url: "http://user:pw@127.0.0.1:1/v1/messages?key=sk-secret",
                                  headers: ["Authorization": secret, "x-api-key": "sk-secret"], body: Array("{}".utf8))
        do throws(HTTPClientError) {
            _ = try await HTTP.send(request)
            Issue.record("expected a connect error")
        } catch {
            guard case .connect(let url, let message) = error else { Issue.record("\(error)"); return }
            #expect(url == "http://127.0.0.1:1/v1/messages?…")
            #expect(message.contains("127.0.0.1"))
            #expect(error.description.hasPrefix("cannot connect to http://127.0.0.1:1/v1/messages"))
            #expect(!error.description.contains("sk-secret"))
            #expect(!error.description.contains("pw@"))
        }

        // Also for a timeout and a rejected header.
        let timeout = await collect(HTTPClientRequest(url: stub("/hang"), headers: ["Authorization": secret], timeout: 0.2))
        #expect(timeout.error.map { !$0.description.contains("sk-secret") && $0.description.contains("/hang") } == true)
        let invalid = await collect(HTTPClientRequest(url: stub("/json"), headers: ["Authorization": "Bearer sk-secret\r\nX: y"]))
        guard case .invalidRequest(_, let message)? = invalid.error else { Issue.record("\(String(describing: invalid.error))"); return }
        #expect(message.contains("Authorization"))
        #expect(!message.contains("sk-secret"))
    }

    @Test func headers() {
        var h: HTTPClientHeaders = ["A": "1", "b": "2"]
        h.add("a", "3")
        #expect(h.map(\.name) == ["A", "b", "a"])
        #expect(h["a"] == "1")
        h["a"] = "4"
        #expect(h.map { "\($0.name)=\($0.value)" } == ["A=4", "b=2"])
        h["B"] = nil
        #expect(h.fields == [.init(name: "A", value: "4")])
        #expect(HTTPClientHeaders(["z": "1", "y": "2"]).map(\.name) == ["y", "z"])
    }
}
