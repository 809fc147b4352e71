import HTTPClient

/// A GET for `fetch_url`, following up to five redirects, aborting past `maxBytes`.
enum WebFetch {
    struct Response {
        var status: Int
        var contentType: String
        var body: [UInt8]
    }

    static func get(_ url: String, maxBytes: Int) async throws -> Response {
        var request = HTTPClientRequest(method: "GET", url: url)
        request.followRedirects = true
        request.maxBodyBytes = maxBytes
        request.timeout = 60
        request.idleTimeout = 30
        let r = try await HTTP.send(request)
        return Response(status: r.head.status, contentType: r.head.headers["content-type"] ?? "", body: r.body)
    }
}
