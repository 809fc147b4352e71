import Foundation
import HTTPClient

/// The Python stub server, started once per test process. It exits by itself when its stdin
/// (held open here) closes at process exit, so no teardown hook is needed.
///
/// @unchecked Sendable: every property is immutable after init; `Process` and `Pipe` are only
/// kept alive here, never used again.
final class StubServer: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let stdin: Pipe

    static let shared: StubServer = {
        do { return try StubServer() } catch { fatalError("stub server did not start: \(error)") }
    }()

    private init() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/stub_server.py").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        var line = Data()
        while true {
            let byte = stdout.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line += byte
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            throw HTTPClientError.transport(url: script, code: 0, message: "no port printed")
        }
        self.port = port
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }
}

func stub(_ path: String) -> String { StubServer.shared.url(path) }

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
