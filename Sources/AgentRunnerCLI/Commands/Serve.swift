import APIServer
import ArgumentParser
import Foundation
import Logging

/// `agent-runner serve`: the HTTP API and web console over a spool.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the HTTP API (/api/v1, see docs/openapi.yaml) and the web console (/) for a spool.",
        discussion: """
            Binds to 127.0.0.1:8080 by default. Beyond loopback it needs a token (AGENT_RUNNER_API_TOKEN or
            config.yaml `api.tokens`), and then every API call must send `Authorization: Bearer <token>`.
            Prints `serving http://HOST:PORT/` once it listens (port 0 picks a free port).
            """)
    @OptionGroup var spool: SpoolOption
    @Option(help: ArgumentHelp("Address and port to listen on.", valueName: "host:port")) var listen = "127.0.0.1:8080"
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning or error.") var logLevel = "notice"
    @Option(name: .customLong("shutdown-grace"),
            help: ArgumentHelp("Seconds SIGTERM waits for open requests before it closes them.", valueName: "seconds"))
    var shutdownGrace = 10.0

    func run() async throws {
        let s = try spool.open()
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw CLIError("--listen \(listen) must be HOST:PORT, e.g. 127.0.0.1:8080 (port 0 picks a free one)")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var options = APIServer.Options(spool: s)
        options.host = host.isEmpty ? "127.0.0.1" : host
        options.port = port
        guard let level = Logger.Level(rawValue: logLevel) else { throw CLIError("--log-level \(logLevel) is not a level") }
        options.logLevel = level
        guard shutdownGrace >= 0, shutdownGrace.isFinite else { throw CLIError("--shutdown-grace \(shutdownGrace) must be a number of seconds, 0 or more") }
        options.shutdownGrace = shutdownGrace
        // SIGTERM and SIGINT shut the server down gracefully (see `APIServer.run`).
        let shown = host.contains(":") ? "[\(options.host)]" : options.host
        do {
            try await APIServer(options).run { port in
                // Unbuffered: a script that started the server waits for this line.
                let line = Array("serving http://\(shown):\(port)/\n".utf8)
                _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            }
        } catch let e as APIServer.StartError {
            throw CLIError(e.description)
        }
    }
}
