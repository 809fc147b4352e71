import Foundation

/// Starts Fixtures/llm_stub.py on 127.0.0.1 and stops it when released.
/// Spawned with posix_spawn and reaped with waitpid: Foundation's Process spins in waitUntilExit here.
public final class StubServer: @unchecked Sendable {
    let pid: pid_t
    public let port: Int
    public let log: String

    public init() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        log = NSTemporaryDirectory() + "llm-stub-\(UUID().uuidString).jsonl"
        FileManager.default.createFile(atPath: log, contents: nil)
        let portFile = log + ".port"
        let args = ["/usr/bin/env", "python3", fixtures.appendingPathComponent("llm_stub.py").path, log, portFile]
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let argv = args.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var child: pid_t = 0
        guard posix_spawn(&child, "/usr/bin/env", &actions, nil, argv, environ) == 0 else { throw CocoaError(.fileReadUnknown) }
        pid = child
        var text = ""
        let deadline = Date().addingTimeInterval(15)
        while text.isEmpty && Date() < deadline {
            text = (try? String(contentsOfFile: portFile, encoding: .utf8)) ?? ""
            if text.isEmpty { usleep(20_000) }
        }
        guard let p = Int(text) else {
            kill(child, SIGKILL)
            var status: Int32 = 0
            waitpid(child, &status, 0)
            throw CocoaError(.fileReadUnknown)
        }
        port = p
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(atPath: log)
        try? FileManager.default.removeItem(atPath: log + ".port")
    }

    /// The folder of the fixture files (fakellm rules, recorded streams).
    public static var fixtures: String { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path }

    public func base(_ scenario: String) -> String { "http://127.0.0.1:\(port)/s/\(scenario)" }

    /// The requests the stub received, oldest first.
    public func requests() -> [[String: Any]] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}
