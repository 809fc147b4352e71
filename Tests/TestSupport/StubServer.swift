import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Python stub server from Fixtures/ on 127.0.0.1, the one launcher for both of them:
/// - `StubServer()`: `llm_stub.py`, a stand-in for the four LLM provider APIs (scenarios under `/s/NAME`),
///   one per test, stopped when released;
/// - `StubServer.http`: `http_stub.py`, the HTTP client's edge cases (chunked streams, cuts, hangs, redirects),
///   started once per test process.
///
/// Either script is run as `python3 SCRIPT LOG PORTFILE`: it appends each request it receives to LOG (as JSON
/// lines, where it records them) and writes its port to PORTFILE. Its stdin is a pipe whose other end only this
/// process holds, so a stub this process never releases (the shared one) exits with it.
/// Spawned with posix_spawn and reaped with waitpid: Foundation's Process spins in waitUntilExit here.
public final class StubServer: @unchecked Sendable {
    let pid: pid_t
    /// The write end of the stub's stdin.
    let stdinPipe: Int32
    public let port: Int
    public let log: String

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The folder of the fixture files (the stubs, fakellm rules, recorded streams).
    public static var fixtures: String { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path }

    /// The HTTP client's stub, started on first use and left running until the test process exits.
    public static let http: StubServer = {
        do { return try StubServer(script: "http_stub.py") } catch { fatalError("the HTTP stub server did not start: \(error)") }
    }()

    /// Starts `Fixtures/SCRIPT` (the LLM stub unless told otherwise) and waits for its port.
    public init(script: String = "llm_stub.py") throws {
        log = NSTemporaryDirectory() + "stub-\(UUID().uuidString).jsonl"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let portFile = log + ".port"
        let args = ["/usr/bin/env", "python3", Self.fixtures + "/" + script, log, portFile]
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw Failure(description: "pipe failed: errno \(errno)") }
        // Close-on-exec, so no other child (a worker a test starts) keeps the stub's stdin open.
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv = args.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, "/usr/bin/env", &actions, nil, argv, environ)
        close(fds[0])
        guard rc == 0 else {
            close(fds[1])
            throw Failure(description: "cannot start \(script): \(String(cString: strerror(rc)))")
        }
        pid = child
        stdinPipe = fds[1]
        var text = ""
        let deadline = Date().addingTimeInterval(15)
        while text.isEmpty && Date() < deadline {
            text = (try? String(contentsOfFile: portFile, encoding: .utf8)) ?? ""
            if text.isEmpty { usleep(20_000) }
        }
        guard let p = Int(text) else {
            Self.stop(child, stdinPipe)
            throw Failure(description: "\(script) wrote no port within 15 s")
        }
        port = p
    }

    deinit {
        Self.stop(pid, stdinPipe)
        try? FileManager.default.removeItem(atPath: log)
        try? FileManager.default.removeItem(atPath: log + ".port")
    }

    static func stop(_ pid: pid_t, _ stdinPipe: Int32) {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(stdinPipe)
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// The LLM stub's base URL for one scenario.
    public func base(_ scenario: String) -> String { url("/s/\(scenario)") }

    /// The requests the stub received, oldest first.
    public func requests() -> [[String: Any]] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}
