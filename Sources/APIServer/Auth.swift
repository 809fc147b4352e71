import HTTPTypes
import Hummingbird

/// Who may call the API.
///
/// - With tokens configured (config.yaml `api.tokens`, or `AGENT_RUNNER_API_TOKEN`), every `/api/` call needs
///   `Authorization: Bearer <token>`. `serve` refuses to listen beyond loopback without one.
/// - Without tokens (loopback only) two browser attacks on a local port are closed: a page on another site
///   posting to 127.0.0.1 (its `Origin` differs from `Host`), and DNS rebinding (a `Host` that is not a
///   loopback name). Both would otherwise let any web page queue shell jobs.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let tokens: [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Decided on the segments the router matches: it skips empty ones, so `//api/v1/runs` is an API call too.
        guard Self.isAPIPath(request.uri.path) else { return try await next(request, context) }
        var context = context
        if tokens.isEmpty {
            try Self.checkLocal(request)
            context.principal = Principal(kind: .local, name: "local")
        } else {
            let header = request.headers[.authorization] ?? ""
            // The scheme name is case-insensitive (RFC 9110 §11.1).
            guard header.count > 7, header.prefix(7).lowercased() == "bearer ",
                  Self.matches(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces), tokens) else {
                var e = APIError(.unauthorized, "unauthorized",
                                 header.isEmpty ? "this server needs `Authorization: Bearer <token>` (the token is in the spool's config.yaml `api.tokens` or AGENT_RUNNER_API_TOKEN)"
                                     : "the bearer token is not one this server accepts")
                e.headers[.wwwAuthenticate] = "Bearer realm=\"agent-runner\""
                throw e
            }
            context.principal = Principal(kind: .token, name: "token")
        }
        return try await next(request, context)
    }

    static func isAPIPath(_ path: String) -> Bool {
        path.split(separator: "/", omittingEmptySubsequences: true).first == "api"
    }

    static func checkLocal(_ request: Request) throws(APIError) {
        let host = request.head.authority ?? ""
        guard isLoopbackHost(host) else {
            throw APIError(.forbidden, "forbidden_host", "Host \(host) is not a loopback name; without a token this server answers only 127.0.0.1, [::1] and localhost")
        }
        if let origin = request.headers[.origin], origin != "null" {
            let originHost = origin.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? ""
            guard originHost.lowercased() == host.lowercased() else {
                throw APIError(.forbidden, "cross_origin", "a request from \(origin) to \(host) is refused: the API does not serve other sites")
            }
        } else if request.headers[.origin] == "null", request.method != .get {
            throw APIError(.forbidden, "cross_origin", "a request from an opaque origin is refused")
        }
    }

    /// The Host header names this machine by a loopback address or `localhost` (with any port).
    static func isLoopbackHost(_ hostHeader: String) -> Bool {
        var h = hostHeader.lowercased()
        if h.hasPrefix("[") {
            guard let end = h.firstIndex(of: "]") else { return false }
            return h[h.index(after: h.startIndex)..<end] == "::1"
        }
        if let colon = h.lastIndex(of: ":") {
            guard h[h.index(after: colon)...].allSatisfy(\.isNumber) else { return false }
            h = String(h[..<colon])
        }
        return APIServer.isLoopback(h) && h != "::1"
    }

    /// Compares against every token in constant time per token, so timing does not reveal a prefix.
    static func matches(_ given: String, _ tokens: [String]) -> Bool {
        let g = Array(given.utf8)
        var ok = false
        for t in tokens {
            let b = Array(t.utf8)
            var diff = UInt8(g.count == b.count ? 0 : 1)
            for i in 0..<max(g.count, b.count) {
                diff |= (i < g.count ? g[i] : 0) ^ (i < b.count ? b[i] : 0)
            }
            if diff == 0 { ok = true }
        }
        return ok
    }
}
