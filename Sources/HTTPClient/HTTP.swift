/// Entry points. On Linux, Foundation's URLSession cannot stream a response body
/// (`bytes(for:)` is missing), so every request, streaming or not, goes through libcurl.
public enum HTTP {
    /// Streams a transfer: first `.head` once the final status line and headers are in, then
    /// `.body` chunks as they arrive. The transfer starts immediately on a dedicated thread (not
    /// the cooperative pool) and runs without backpressure. Cancelling the consuming task, or
    /// dropping the stream (e.g. `break` out of `for try await`), aborts it promptly; a cancelled
    /// consumer gets `HTTPClientError.cancelled` rather than a silent end.
    public static func stream(_ request: HTTPClientRequest) -> HTTPStream {
        let channel = ChunkChannel()
        let stream = HTTPStream(lifetime: StreamLifetime(channel: channel))
        CurlTransfer.start(request, channel: channel)
        return stream
    }

    /// Performs a request and collects the whole body. Non-2xx statuses are returned, not thrown.
    public static func send(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        var iterator = stream(request).makeAsyncIterator()
        var head: HTTPHead?
        var body: [UInt8] = []
        while let chunk = try await iterator.next() {
            switch chunk {
            case .head(let h): head = h
            case .body(let bytes): body += bytes
            }
        }
        guard let head else {
            throw .transport(url: request.redactedURL, code: 0, message: "the transfer ended without a response head")
        }
        return HTTPClientResponse(head: head, body: body)
    }
}
