import HTTPTypes
import Hummingbird
import JSONCore

/// An error the API answers with: an HTTP status and `{"error":{"code":…,"message":…,…}}`. Messages say
/// what to do next; nothing internal (no stack, no path outside the spool) goes into them.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Extra fields of the error object (line, column, path… for job validation).
    public var fields: [(String, JSON)] = []
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, fields: [(String, JSON)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    var body: JSON {
        .object([("error", .object([("code", .string(code)), ("message", .string(message))] + fields))])
    }

    func response() -> Response {
        var r = Reply.json(body, status: status)
        for f in headers { r.headers.append(f) }
        return r
    }

    static func notFound(_ what: String) -> APIError { APIError(.notFound, "not_found", what) }
    static func badRequest(_ what: String) -> APIError { APIError(.badRequest, "bad_request", what) }
}

/// Response builders.
enum Reply {
    static func json(_ value: JSON, status: HTTPResponse.Status = .ok) -> Response {
        var bytes = value.encoded()
        bytes.append(0x0A)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// Turns every error into the JSON error shape: typed API errors as they are, Hummingbird's own (404 for an
/// unknown route, 405…) with their status, and anything else as a 500 without details (they go to the log).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as APIError {
            return e.response()
        } catch let e as HTTPError {
            let code = e.status == .notFound ? "not_found" : e.status == .methodNotAllowed ? "method_not_allowed" : "http_\(e.status.code)"
            let message = e.status == .notFound ? "no such route: \(request.method) \(request.uri.path); the API is under /api/v1 (see docs/openapi.yaml)"
                : (e.body ?? e.status.reasonPhrase)
            return APIError(e.status, code, message).response()
        } catch {
            context.logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            return APIError(.internalServerError, "internal", "the server could not complete the request; its log has the details").response()
        }
    }
}
