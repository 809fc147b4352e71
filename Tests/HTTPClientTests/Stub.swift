import Foundation
import HTTPClient
import TestSupport

/// A URL on TestSupport's HTTP stub (Fixtures/http_stub.py), started once per test process.
func stub(_ path: String) -> String { StubServer.http.url(path) }

/// Polls the stub's record of client disconnects for up to `within` seconds.
func serverSawClose(id: String, within: Double) async throws -> Bool {
    try await stubFlag("closed", id: id, within: within)
}

/// Whether the stub has received the `/hang` request tagged `id` (a loaded machine may take a while to connect).
func serverSawRequest(id: String, within: Double) async throws -> Bool {
    try await stubFlag("opened", id: id, within: within)
}

/// Gives up only on a "no" to a question *asked* after the deadline. Under the whole suite's load this task can
/// sit unscheduled for seconds (synchronous tests hold the cooperative threads): an answer asked for before the
/// deadline but read after it, or a sleep that overran it, says nothing about what the server saw by then.
func stubFlag(_ flag: String, id: String, within: Double) async throws -> Bool {
    let deadline = Date().addingTimeInterval(within)
    while true {
        let asked = Date()
        let r = try await HTTP.send(HTTPClientRequest(url: stub("/\(flag)?id=\(id)")))
        if r.text.contains("true") { return true }
        if asked >= deadline { return false }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// Collects a stream into its heads and concatenated body, or the error it ended with.
func collect(_ request: HTTPClientRequest) async -> (heads: [HTTPHead], body: [UInt8], error: HTTPClientError?) {
    var heads: [HTTPHead] = []
    var body: [UInt8] = []
    do {
        for try await chunk in HTTP.stream(request) {
            switch chunk {
            case .head(let h): heads.append(h)
            case .body(let b): body += b
            }
        }
        return (heads, body, nil)
    } catch {
        return (heads, body, error)
    }
}

func elapsed<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let start = Date()
    let value = try await body()
    return (value, Date().timeIntervalSince(start))
}
