import Foundation
import HTTPClient
import JSONCore
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A running `agent-runner serve` on a test spool, on a port the kernel picked, with a small HTTP client.
final class ServeProcess {
    let process: WorkerProcess
    let port: Int
    var base: String { "http://127.0.0.1:\(port)" }

    init(_ spool: TestSpool, env: [String: String] = [:], listen: String = "127.0.0.1:0", options: [String] = []) throws {
        process = try WorkerProcess(args: ["serve", "--spool", spool.root, "--listen", listen] + options, env: env,
                                    log: URL(fileURLWithPath: spool.root).deletingLastPathComponent().path + "/serve-\(UUID().uuidString.prefix(8)).log")
        var found: Int?
        let deadline = Date().addingTimeInterval(30)
        while found == nil && Date() < deadline && process.process.isRunning {
            for line in process.logText.split(separator: "\n") where line.hasPrefix("serving http://") {
                found = line.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) }
            }
            if found == nil { usleep(20_000) }
        }
        guard let found else { throw TestFailure("serve did not start: \(process.logText)") }
        port = found
    }

    /// SIGTERM and a wait: serve shuts down gracefully (and an instrumented build writes its coverage).
    deinit {
        if process.process.isRunning {
            process.kill(SIGTERM)
            if !process.waitForExit(timeout: 10) { process.kill(SIGKILL) }
        }
    }

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: JSON { JSON.parse(body) ?? .null }
        var errorCode: String? { json["error"]?["code"]?.stringValue }
    }

    func request(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) async throws -> Reply {
        var h = HTTPClientHeaders()
        for (k, v) in headers { h.add(k, v) }
        let r = try await HTTP.send(HTTPClientRequest(method: method, url: base + path, headers: h, body: body.map { Array($0.utf8) }))
        return Reply(status: r.status, headers: r.head.headers, body: r.body)
    }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> Reply {
        try await request("GET", path, headers: headers)
    }

    func post(_ path: String, _ body: String = "", type: String = "application/yaml", headers: [String: String] = [:]) async throws -> Reply {
        try await request("POST", path, body: body, headers: headers.merging(["Content-Type": type]) { a, _ in a })
    }

    /// Sends the path exactly as given over a plain socket (libcurl would resolve `..` and `.` segments first,
    /// the way browsers do; an attacker's client does not). Returns the status and the body.
    func rawGet(_ path: String) throws -> (status: Int, body: String) { try raw("GET", path) }

    func raw(_ method: String, _ path: String, headers: [String: String] = [:], body: String = "") throws -> (status: Int, body: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw TestFailure("connect: errno \(errno)") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(headers["Host"] ?? "127.0.0.1:\(port)")\r\nConnection: close\r\n"
        for (k, v) in headers where k != "Host" { head += "\(k): \(v)\r\n" }
        head += "Content-Length: \(body.utf8.count)\r\n\r\n"
        let request = Array((head + body).utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += buffer[..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return (status, body)
    }

    /// Submits a job and returns its run id.
    func submit(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let r = try await post("/api/v1/runs", yaml)
        #expect(r.status == 201, "\(r.text)", sourceLocation: sourceLocation)
        guard let id = r.json["id"]?.stringValue else { throw TestFailure("no id in \(r.text)") }
        return id
    }

    func run(_ id: String) async throws -> JSON { try await get("/api/v1/runs/\(id)").json }

    /// Polls the run until `condition` holds (30 s at most).
    func waitFor(_ id: String, timeout: Double = 30, _ condition: (JSON) -> Bool) async throws -> JSON {
        let end = Date().addingTimeInterval(timeout)
        var last = JSON.null
        while Date() < end {
            last = try await run(id)
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("run \(id) never reached the expected state; last: \(String(decoding: last.encoded(), as: UTF8.self))")
    }

    func waitForDone(_ id: String, timeout: Double = 30) async throws -> JSON {
        try await waitFor(id, timeout: timeout) { $0["state"]?.stringValue == "done" }
    }

    /// Reads an SSE stream until `stop` says so or the server ends it; returns (id, event, data) triples.
    func events(_ id: String, lastEventID: Int? = nil, stop: @escaping @Sendable ([SSEEvent]) -> Bool = { _ in false }) async throws -> [SSEEvent] {
        var h: HTTPClientHeaders = ["Accept": "text/event-stream"]
        if let lastEventID { h.add("Last-Event-ID", String(lastEventID)) }
        var request = HTTPClientRequest(url: base + "/api/v1/runs/\(id)/events", headers: h)
        request.timeout = 60
        var parser = SSEParser()
        var out: [SSEEvent] = []
        for try await chunk in HTTP.stream(request) {
            guard case .body(let bytes) = chunk else { continue }
            out += parser.feed(bytes)
            if stop(out) { break }  // leaving the loop drops the stream, which aborts the transfer: a client going away
        }
        return out
    }
}
