/// One HTTP request. Headers are sent as given; they are never included in errors or logs (they carry API keys).
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)] = []
    public var body: [UInt8]?
    public var connectTimeout: Double = 10
    /// Whole transfer; nil means no limit.
    public var timeout: Double?
    /// Abort when no byte arrives for this many seconds.
    public var idleTimeout: Double?
    /// Abort with `.tooLarge` past this many body bytes.
    public var maxBodyBytes: Int?
    public var followRedirects = false

    public init(method: String, url: String) {
        self.method = method
        self.url = url
    }
}

public struct HTTPHead: Sendable, Equatable {
    public var status: Int
    /// Lower-cased names; the last value of a repeated header wins.
    public var headers: [String: String]

    public init(status: Int, headers: [String: String]) {
        self.status = status
        self.headers = headers
    }
}

public struct HTTPResponse: Sendable {
    public var head: HTTPHead
    public var body: [UInt8]
}

public enum HTTPChunk: Sendable {
    case head(HTTPHead)
    case body([UInt8])
}

/// Why a transfer failed. Messages name the URL (without its query) and never a header value.
public enum HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    case connect(url: String, message: String)
    case timedOut(url: String, message: String)
    case cancelled
    case tooLarge(url: String, limit: Int)
    case transport(url: String, code: Int, message: String)

    public var description: String {
        switch self {
        case .connect(let u, let m): return "cannot connect to \(u): \(m); is the server running and the URL right?"
        case .timedOut(let u, let m): return "\(u) timed out: \(m)"
        case .cancelled: return "the request was cancelled"
        case .tooLarge(let u, let limit): return "\(u) sent more than \(limit) bytes; the transfer was cut off"
        case .transport(let u, let code, let m): return "transfer from \(u) failed (curl error \(code)): \(m)"
        }
    }
}
