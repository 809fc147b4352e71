import Foundation

/// A third-party server started for a test (fakellm, llm-katan, a llama.cpp server) on a free loopback port.
/// Spawned with posix_spawn, killed and reaped when released. Its output goes to `log`.
public final class LocalServer: @unchecked Sendable {
    let pid: pid_t
    public let port: Int
    public let log: String

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `arguments` may contain `{port}`, replaced by the chosen port. Waits until the port accepts connections.
    ///
    /// The port is one the kernel never hands out for outgoing connections (below
    /// `ip_local_port_range`, which Chromium, `serve` and every client of the suite draw from), and free when
    /// it is chosen (a test `bind`). A server that still finds it taken and exits ("address already in use")
    /// is started again on another port.
    public init(_ arguments: [String], readyTimeout: Double = 60) throws {
        let log = NSTemporaryDirectory() + "server-\(UUID().uuidString.prefix(8)).log"
        self.log = log
        var lastFailure = ""
        for _ in 0..<5 {
            let port = Self.freePort()
            switch try Self.start(arguments, port: port, log: log, readyTimeout: readyTimeout) {
            case .listening(let child):
                self.port = port
                pid = child
                return
            case .portTaken(let output):
                lastFailure = output
            }
        }
        throw Failure(description: "\(arguments.first ?? "server") found its port taken five times:\n\(lastFailure.suffix(2000))")
    }

    enum Start { case listening(pid_t), portTaken(String) }

    static func start(_ arguments: [String], port: Int, log: String, readyTimeout: Double) throws -> Start {
        let args = ["/usr/bin/env"] + arguments.map { $0.replacingOccurrences(of: "{port}", with: String(port)) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
        let argv = args.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, "/usr/bin/env", &actions, &attr, argv, environ)
        guard rc == 0 else { throw Failure(description: "cannot start \(arguments.joined(separator: " ")): \(String(cString: strerror(rc)))") }
        let deadline = Date().addingTimeInterval(readyTimeout)
        while !accepts(port) {
            var status: Int32 = 0
            let exited = waitpid(child, &status, WNOHANG) == child
            if exited || Date() > deadline {
                if !exited { kill(-child, SIGKILL); waitpid(child, &status, 0) }
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                if exited && (output.contains("already in use") || output.contains("Errno 98")) { return .portTaken(output) }
                throw Failure(description: "\(arguments.first ?? "server") did not start listening on \(port):\n\(output.suffix(2000))")
            }
            usleep(100_000)
        }
        return .listening(child)
    }

    /// A random loopback port below the ephemeral range that nothing is bound to right now.
    static func freePort() -> Int {
        let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))?
            .split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) } ?? []
        let upper = max(11000, min(range.first ?? 32768, 65536) - 1)
        var port = 10000
        for _ in 0..<50 {
            port = Int.random(in: 10000...upper)
            if canBind(port) { break }
        }
        return port
    }

    static func canBind(_ port: Int) -> Bool {
        withLoopbackSocket(port) { fd, addr, len in bind(fd, addr, len) == 0 }
    }

    deinit {
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    static func accepts(_ port: Int) -> Bool {
        withLoopbackSocket(port) { fd, addr, len in connect(fd, addr, len) == 0 }
    }

    /// A fresh TCP socket and the address 127.0.0.1:`port`, for one `bind` or `connect`; closed afterwards.
    static func withLoopbackSocket(_ port: Int, _ body: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Bool) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}
