import Foundation

/// Streaming HTTP over libcurl. Each transfer runs on a thread of its own, never on the cooperative pool.
public enum HTTP {
    /// First `.head`, then `.body` chunks as they arrive. Ending the consuming task (or dropping the stream)
    /// aborts the transfer, which then throws `HTTPError.cancelled`.
    public static func stream(_ request: HTTPRequest) -> AsyncThrowingStream<HTTPChunk, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: HTTPChunk.self, throwing: (any Error).self)
        guard let transfer = CurlTransfer(request, sink: { continuation.yield($0) }) else {
            continuation.finish(throwing: HTTPError.transport(url: request.url, code: 2, message: "curl_easy_init failed"))
            return stream
        }
        continuation.onTermination = { _ in transfer.cancel() }
        let thread = Thread {
            do {
                try transfer.perform()
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
        return stream
    }

    /// The whole response.
    public static func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        var head: HTTPHead?
        var body: [UInt8] = []
        do {
            for try await chunk in stream(request) {
                switch chunk {
                case .head(let h): head = h
                case .body(let b): body += b
                }
            }
        } catch let e as HTTPError {
            throw e
        } catch {
            throw Task.isCancelled ? .cancelled : .transport(url: request.url, code: -1, message: "\(error)")
        }
        guard let head else { throw .transport(url: request.url, code: -1, message: "no response") }
        return HTTPResponse(head: head, body: body)
    }
}
