import Foundation
import Hummingbird
import JobSpec
import Logging
import RunCatalog
import ServiceLifecycle
import SpoolCore

/// `agent-runner serve`: the HTTP API and web console over one spool. It keeps no state of its own that
/// the spool lacks (the run index is a cache rebuilt on start), so killing it loses nothing and several
/// servers can serve one spool.
public struct APIServer: Sendable {
    public struct Options: Sendable {
        public var spool: Spool
        public var host = "127.0.0.1"
        public var port = 8080
        public var environment: [String: String] = ProcessInfo.processInfo.environment
        public var logLevel: Logger.Level = .notice
        /// Seconds a graceful shutdown may take before it is escalated to cancellation.
        public var shutdownGrace: Double = 10
        public init(spool: Spool) { self.spool = spool }
    }

    public enum StartError: Error, CustomStringConvertible {
        case exposedWithoutToken(String)
        case weakToken
        case config(SpoolError)

        public var description: String {
            switch self {
            case .exposedWithoutToken(let host):
                return "refusing to listen on \(host) without a token: anyone who can reach it could queue shell jobs. "
                    + "Set AGENT_RUNNER_API_TOKEN (or `api: {tokens: [...]}` in the spool's config.yaml), or listen on 127.0.0.1"
            case .weakToken:
                return "AGENT_RUNNER_API_TOKEN holds a token shorter than 16 characters or with spaces; use a long random one, e.g. `openssl rand -hex 24`"
            case .config(let e): return "\(e)"
            }
        }
    }

    let options: Options
    public init(_ options: Options) { self.options = options }

    /// Every accepted bearer token: config.yaml `api.tokens` plus AGENT_RUNNER_API_TOKEN (comma-separated).
    static func tokens(_ config: SpoolConfig, _ env: [String: String]) -> [String] {
        let fromEnv = (env["AGENT_RUNNER_API_TOKEN"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return config.api.tokens + fromEnv.filter { !$0.isEmpty }
    }

    /// `localhost`, `::1`, or a dotted IPv4 address in 127.0.0.0/8 (four numbers: `127.evil.example` is a name, not an address).
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { p in p.count <= 3 && UInt8(p) != nil }
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully: no new connections, event streams
    /// end (clients reconnect with `Last-Event-ID` and lose nothing), the index and the probes stop.
    /// A shutdown still not done after `shutdownGrace` (a client that keeps a connection open, say) is
    /// escalated to cancellation, which closes every connection: `serve` always exits.
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        let app = try application(onListening: onListening)
        var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: app.logger)
        group.maximumGracefulShutdownDuration = .seconds(options.shutdownGrace)
        group.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: group).run()
    }

    /// The whole server, not yet listening: `run` serves it, and tests drive it in-process
    /// (HummingbirdTesting's `.router` mode) without a socket.
    public func application(onListening: @escaping @Sendable (Int) -> Void = { _ in }) throws -> some ApplicationProtocol {
        let spool = options.spool
        let config: SpoolConfig
        do { config = try spool.loadConfig() } catch { throw StartError.config(error) }
        let tokens = Self.tokens(config, options.environment)
        if tokens.contains(where: { $0.count < 16 || $0.contains(where: \.isWhitespace) }) { throw StartError.weakToken }
        if tokens.isEmpty && !Self.isLoopback(options.host) { throw StartError.exposedWithoutToken(options.host) }

        var logger = Logger(label: "agent-runner.serve")
        logger.logLevel = options.logLevel
        let spooler = Spooler(spool: spool, config: config)
        let catalog = RunCatalog(spool: spool)
        let board = StatusBoard(spooler: spooler, config: config, environment: options.environment, authRequired: !tokens.isEmpty,
                                counts: { catalog.counts })

        let router = Router(context: APIRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: AuthMiddleware(tokens: tokens))
        RunsRoutes(spooler: spooler, catalog: catalog, workspaceRoots: spool.workspaceRoots(config)).register(router)
        StatusRoutes(board: board, catalog: catalog).register(router)
        CapabilitiesRoutes().register(router)
        ConsoleRoutes().register(router)

        return Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "agent-runner"),
            services: [CatalogFollower(catalog: catalog, rescanEvery: config.pollInterval),
                       StatusProber(board: board, every: config.api.statusInterval)],
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}
