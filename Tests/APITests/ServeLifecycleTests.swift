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
        let server = try ServeProcess(s, options: ["--log-level", "debug"])
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
        try #require(server.process.waitForExit(timeout: 20), "serve exits after SIGTERM; log:\n\(server.process.logText)")
        #expect(server.process.exitStatus == 0, "\(server.process.logText)")
        // The debug log names each service as it stops: had one held the shutdown up, it would say which.
        #expect(!server.process.logText.contains(Self.escalated), "the graceful shutdown finished by itself:\n\(server.process.logText)")
    }

    /// A grace that is not a number of seconds is refused at start, before anything listens.
    @Test(arguments: ["-1", "inf", "nan"])
    func aBadShutdownGraceIsRefused(value: String) throws {
        let s = try TestSpool()
        let r = try s.run(["serve", "--listen", "127.0.0.1:0", "--shutdown-grace=\(value)"])
        #expect(r.status != 0 && r.stderr.contains("must be a number of seconds"), "\(r.stderr)")
    }

    /// Bytes the server's end of a loopback connection has received and not read yet (`/proc/net/tcp`'s
    /// rx_queue), or nil when there is no such connection.
    static func unread(server: Int, client: Int) -> Int? {
        // Read to the end: the kernel hands out a page at a time, and a file reader that trusts st_size (0
        // here) or stops after one read sees only the first connections.
        let fd = open("/proc/net/tcp", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        let table = String(decoding: bytes, as: UTF8.self)
        let (local, remote) = (String(format: "0100007F:%04X", server), String(format: "0100007F:%04X", client))
        for line in table.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count > 4, f[1] == local, f[2] == remote, let rx = f[4].split(separator: ":").last else { continue }
            return Int(rx, radix: 16)
        }
        return nil
    }

    /// ServiceLifecycle's debug line when a graceful shutdown outlasts its limit and is escalated.
    static let escalated = "Graceful shutdown took longer than allowed"

    /// A client that sends half a request and then nothing holds a graceful shutdown up for ever (the
    /// server waits for the request to end). After `--shutdown-grace` the shutdown is escalated, the
    /// connection closed, and serve exits.
    @Test func aStalledClientDoesNotKeepServeFromExiting() throws {
        let s = try TestSpool()
        let server = try ServeProcess(s, options: ["--log-level", "debug", "--shutdown-grace", "1"])
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(server.port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0, "connect: errno \(errno)")
        let head = "POST /api/v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/yaml\r\nContent-Length: 1000\r\n\r\nsteps:"
        try #require(head.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, head.utf8.count) } == head.utf8.count)
        // The server has read the request's head before the signal: its end of the connection has nothing
        // left to read (NIO parses what it reads in the same event-loop task, before it sees the shutdown).
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let deadline = Date().addingTimeInterval(10)
        while Self.unread(server: server.port, client: Int(UInt16(bigEndian: local.sin_port))) != 0 && Date() < deadline { usleep(10_000) }
        try #require(Self.unread(server: server.port, client: Int(UInt16(bigEndian: local.sin_port))) == 0, "the server read the request")
        server.process.kill(SIGTERM)
        try #require(server.process.waitForExit(timeout: 30), "serve exits after SIGTERM; log:\n\(server.process.logText)")
        #expect(server.process.logText.contains(Self.escalated), "\(server.process.logText)")
        var byte: UInt8 = 0
        #expect(read(fd, &byte, 1) <= 0, "the stalled connection was closed")
    }
}
