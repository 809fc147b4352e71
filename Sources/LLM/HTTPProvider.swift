import Foundation
import HTTPClient
import JSONCore

/// A provider spoken over HTTP: builds the request from its `WireFormat`, streams or reads the answer, and
/// retries with jittered backoff on 408/429/5xx, cut streams and connection errors, honouring `retry-after`.
struct HTTPProvider: LLMProvider {
    let format: any WireFormat
    let endpoint: Endpoint
    let mode: ToolCallMode
    var name: String { format.name }

    func complete(_ request: ChatRequest, notify: @escaping @Sendable (ProviderNotice) -> Void) async throws(LLMError) -> ModelTurn {
        let secrets = endpoint.apiKey.map { [$0] } ?? []
        let policy = RetryPolicy(maxAttempts: endpoint.maxAttempts, baseDelay: endpoint.retryBase, maxDelay: endpoint.retryCap)
        var attempt = 1
        while true {
            do {
                let turn = try await once(request)
                return mode == .json ? JSONToolMode.interpret(turn, callNumber: request.messages.count) : turn
            } catch let failure {
                let error = failure.error.redacting(secrets)
                guard error.isRetryable, attempt < endpoint.maxAttempts, !Task.isCancelled else { throw error }
                let delay = policy.delay(attempt: attempt, retryAfter: failure.retryAfter, random: Double.random(in: 0...1))
                var status: Int?
                if case .http(_, let s, _) = error { status = s }
                notify(.retry(attempt: attempt, status: status, delay: delay, message: error.description))
                do { try await Task.sleep(for: .seconds(delay)) } catch { throw .cancelled }
                attempt += 1
            }
        }
    }

    struct Failure: Error {
        var error: LLMError
        var retryAfter: String?
    }

    func once(_ request: ChatRequest) async throws(Failure) -> ModelTurn {
        let stream = endpoint.stream
        let body = format.body(request, mode: mode, stream: stream).encoded()
        var url = endpoint.baseURL + format.path(model: request.model, stream: stream)
        var apiKey = endpoint.apiKey
        if endpoint.keyInQuery, let key = apiKey {
            url += (url.contains("?") ? "&" : "?") + "key=" + key.addingPercentEncodingForPath()
            apiKey = nil
        }
        var http = HTTPClientRequest(method: "POST", url: url)
        http.headers = HTTPClientHeaders(format.headers(apiKey: apiKey))
        http.body = body
        http.connectTimeout = endpoint.connectTimeout
        http.timeout = endpoint.timeout
        http.idleTimeout = endpoint.idleTimeout
        http.maxBodyBytes = 64 << 20
        var head: HTTPHead?
        // Some servers answer a streaming request with one JSON body (llm-katan does, with tools).
        var wholeAnswer = !stream
        var errorBody: [UInt8] = []
        var whole: [UInt8] = []
        let decoder = format.makeStreamDecoder()
        var sse = SSEParser()
        var lines = LineSplitter()
        do {
            for try await chunk in HTTP.stream(http) {
                switch chunk {
                case .head(let h):
                    head = h
                    if stream, format.framing == .sse, (h.headers["content-type"] ?? "").hasPrefix("application/json") { wholeAnswer = true }
                case .body(let bytes):
                    guard let h = head else { continue }
                    if h.status >= 300 { errorBody += bytes; continue }
                    if wholeAnswer { whole += bytes; continue }
                    try feed(bytes, decoder: decoder, sse: &sse, lines: &lines)
                }
            }
        } catch let e as HTTPClientError {
            throw Failure(error: map(e))
        } catch let e as LLMError {
            throw Failure(error: e, retryAfter: head?.headers["retry-after"])
        } catch {
            if Task.isCancelled { throw Failure(error: .cancelled) }
            throw Failure(error: .unavailable(provider: name, message: "\(error)"))
        }
        // Cancelling the task ends the stream early without an error.
        if Task.isCancelled { throw Failure(error: .cancelled) }
        guard let h = head else { throw Failure(error: .unavailable(provider: name, message: "no response")) }
        if h.status >= 300 {
            let text = String(decoding: errorBody.prefix(4096), as: UTF8.self)
            let message = JSON.parse(errorBody).flatMap { format.errorMessage($0) } ?? (text.isEmpty ? "(empty body)" : text)
            throw Failure(error: .http(provider: name, status: h.status, message: message), retryAfter: h.headers["retry-after"])
        }
        do {
            if wholeAnswer {
                guard let obj = JSON.parse(whole) else {
                    throw LLMError.malformed(provider: name, message: "the response is not JSON: \(String(decoding: whole.prefix(200), as: UTF8.self))")
                }
                return try format.decode(obj)
            }
            try feedEnd(decoder: decoder, sse: &sse, lines: &lines)
            return try decoder.finish()
        } catch let e as LLMError {
            throw Failure(error: e)
        } catch {
            throw Failure(error: .malformed(provider: name, message: "\(error)"))
        }
    }

    func feed(_ bytes: [UInt8], decoder: any StreamDecoder, sse: inout SSEParser, lines: inout LineSplitter) throws(LLMError) {
        switch format.framing {
        case .sse:
            for e in sse.feed(bytes) { try decoder.consume(event: e.event, data: e.data) }
        case .ndjson:
            for line in lines.feed(bytes) { try decoder.consume(event: nil, data: String(decoding: line, as: UTF8.self)) }
        }
    }

    func feedEnd(decoder: any StreamDecoder, sse: inout SSEParser, lines: inout LineSplitter) throws(LLMError) {
        switch format.framing {
        case .sse:
            // An event without its closing blank line is complete (recorded Anthropic streams end so) or cut
            // short; a cut one does not parse, is dropped here, and `finish` reports the missing end marker.
            for e in sse.finish() {
                do { try decoder.consume(event: e.event, data: e.data) } catch {
                    if case .malformed = error { continue }
                    throw error
                }
            }
        case .ndjson:
            // A last line without its newline is either complete or cut; a cut one is dropped here, and
            // `finish` then reports the missing `done` line.
            for line in lines.finish() { try? decoder.consume(event: nil, data: String(decoding: line, as: UTF8.self)) }
        }
    }

    func map(_ e: HTTPClientError) -> LLMError {
        if case .cancelled = e { return .cancelled }
        return .unavailable(provider: name, message: "\(e)")
    }
}
