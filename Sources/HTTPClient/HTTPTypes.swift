/// Plain values that describe a request and its response. They carry no libcurl types so that
/// consumers (LLM provider clients, the `fetch_url` tool) never depend on CCurl.

/// Request headers in the order they were given. Names are sent as written; lookups ignore case.
/// A dictionary literal keeps its source order, so `["x-api-key": key, "anthropic-version": "…"]` works.
public struct HTTPClientHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [Field]

    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) { self.name = name; self.value = value }
    }

    public init() { fields = [] }
    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { Field(name: $0.0, value: $0.1) }
    }
    /// Pairs in the given order.
    public init(_ pairs: [(String, String)]) { fields = pairs.map { Field(name: $0.0, value: $0.1) } }
    /// A dictionary has no order, so its entries are sorted by name to keep requests reproducible.
    public init(_ dictionary: [String: String]) {
        fields = dictionary.sorted { $0.key < $1.key }.map { Field(name: $0.key, value: $0.value) }
    }

    /// Adds a field even if one with the same name exists (some headers may repeat).
    public mutating func add(_ name: String, _ value: String) { fields.append(Field(name: name, value: value)) }

    /// The first value for `name` (any case). Setting replaces every field of that name; nil removes them.
    public subscript(name: String) -> String? {
        get { fields.first { $0.name.lowercased() == name.lowercased() }?.value }
        set {
            let key = name.lowercased()
            let first = fields.firstIndex { $0.name.lowercased() == key }
            fields = fields.enumerated().filter { $0.offset == first || $0.element.name.lowercased() != key }.map(\.element)
            switch (first, newValue) {
            case (let i?, let v?): fields[i].value = v
            case (let i?, nil): fields.remove(at: i)
            case (nil, let v?): fields.append(Field(name: name, value: v))
            case (nil, nil): break
            }
        }
    }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
}

/// One HTTP request. Limits are per transfer; nil means no limit.
public struct HTTPClientRequest: Sendable {
    /// "GET", "POST", or any other token (sent with CURLOPT_CUSTOMREQUEST; "HEAD" asks for no body).
    public var method: String
    public var url: String
    public var headers: HTTPClientHeaders
    /// Sent as-is. A POST without a body sends an empty one.
    public var body: [UInt8]?
    /// Seconds to establish the connection (DNS + TCP + TLS).
    public var connectTimeout: Double
    /// Seconds for the whole transfer, including streaming the body. Leave nil for long LLM streams
    /// and use `idleTimeout` instead, which only fires when the server goes quiet.
    public var timeout: Double?
    /// Abort when no byte is received (or sent) for this many seconds, e.g. a stalled LLM stream.
    public var idleTimeout: Double?
    /// Abort with `HTTPClientError.tooLarge` once the (decoded) body exceeds this many bytes.
    public var maxBodyBytes: Int?
    /// Follow up to `HTTPClientRequest.maxRedirects` redirects, over http/https only.
    public var followRedirects: Bool

    public static let maxRedirects = 5

    public init(method: String = "GET", url: String, headers: HTTPClientHeaders = [:], body: [UInt8]? = nil,
                connectTimeout: Double = 10, timeout: Double? = nil, idleTimeout: Double? = nil,
                maxBodyBytes: Int? = nil, followRedirects: Bool = false) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.idleTimeout = idleTimeout
        self.maxBodyBytes = maxBodyBytes
        self.followRedirects = followRedirects
    }
}

/// The status line and headers of the final response (never a 1xx or a followed redirect).
public struct HTTPHead: Sendable, Equatable {
    public var status: Int
    /// Lowercased names; when a header repeats, the last value wins.
    public var headers: [String: String]
    public init(status: Int, headers: [String: String]) { self.status = status; self.headers = headers }
}

/// A whole response, as collected by `HTTP.send`. Any status is a response, not an error.
public struct HTTPClientResponse: Sendable, Equatable {
    public var head: HTTPHead
    public var body: [UInt8]
    public init(head: HTTPHead, body: [UInt8]) { self.head = head; self.body = body }

    public var status: Int { head.status }
    /// The body decoded as UTF-8 (invalid sequences become U+FFFD).
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// What `HTTP.stream` yields: exactly one `.head`, then zero or more `.body` chunks.
public enum HTTPChunk: Sendable, Equatable {
    case head(HTTPHead)
    case body([UInt8])
}

/// Transfer failures. HTTP error statuses are not here: they arrive as a normal head.
/// Descriptions never include request headers or the URL's query or user-info, where API keys live.
public enum HTTPClientError: Error, CustomStringConvertible, Equatable {
    /// DNS failure or connection refused/unreachable.
    case connect(url: String, message: String)
    /// `connectTimeout`, `timeout` or `idleTimeout` expired; `seconds` is the limit that fired.
    case timedOut(url: String, seconds: Double)
    /// The consuming task was cancelled or the stream was dropped.
    case cancelled
    /// The body exceeded `maxBodyBytes`.
    case tooLarge(url: String, limit: Int)
    /// The request could not be sent as given (bad method, line break in a header).
    case invalidRequest(url: String, message: String)
    /// Any other libcurl failure, e.g. the connection closed mid-body (`code` is the CURLcode).
    case transport(url: String, code: Int, message: String)

    public var description: String {
        switch self {
        case .connect(let url, let message):
            return "cannot connect to \(url): \(message)"
        case .timedOut(let url, let seconds):
            return "request to \(url) timed out (\(Self.format(seconds)) s limit)"
        case .cancelled:
            return "request cancelled"
        case .tooLarge(let url, let limit):
            return "response from \(url) is larger than the \(limit)-byte limit"
        case .invalidRequest(let url, let message):
            return "invalid request to \(url): \(message)"
        case .transport(let url, let code, let message):
            return "request to \(url) failed: \(message) (curl error \(code))"
        }
    }

    private static func format(_ s: Double) -> String {
        s == s.rounded() ? String(Int(s)) : String(s)
    }
}

extension HTTPClientRequest {
    /// The URL as errors show it: user-info and query removed, since both can hold credentials
    /// (Gemini accepts `?key=`).
    var redactedURL: String {
        var u = Substring(url)
        if let q = u.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            u = u[..<q] + (url[q] == "?" ? "?…" : "")
        }
        if let scheme = u.range(of: "://") {
            let rest = u[scheme.upperBound...]
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                u = u[..<scheme.upperBound] + rest[rest.index(after: at)...]
            }
        }
        return String(u)
    }
}
