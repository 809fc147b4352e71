import Synchronization

/// The chunks of one transfer as an async sequence with typed errors.
///
/// A custom sequence rather than `AsyncThrowingStream`, because that type ends a cancelled
/// iteration by returning nil, which a consumer cannot tell apart from a complete body.
/// Here cancelling the consuming task makes `next()` throw `HTTPClientError.cancelled`, and the transfer
/// thread is woken and aborts at once. Dropping the stream and its iterators (e.g. `break` out of
/// `for try await`) aborts the transfer too. Iterate it once, from one task.
public struct HTTPStream: AsyncSequence, Sendable {
    public typealias Element = HTTPChunk
    public typealias Failure = HTTPClientError

    let lifetime: StreamLifetime

    public func makeAsyncIterator() -> Iterator { Iterator(lifetime: lifetime) }

    public struct Iterator: AsyncIteratorProtocol, Sendable {
        public typealias Element = HTTPChunk
        public typealias Failure = HTTPClientError

        let lifetime: StreamLifetime

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(HTTPClientError) -> HTTPChunk? {
            try await next()
        }

        public mutating func next() async throws(HTTPClientError) -> HTTPChunk? {
            let channel = lifetime.channel
            while true {
                switch channel.take() {
                case .chunk(let chunk): return chunk
                case .finished: return nil
                case .failed(let error): throw error
                case .empty: break
                }
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in channel.park(waiter) }
                } onCancel: {
                    channel.cancel()
                }
            }
        }
    }
}

/// Held by the stream and its iterators, never by the transfer thread, so its deinit means
/// "nobody will read any more": the transfer is then aborted instead of running to the end.
final class StreamLifetime: Sendable {
    let channel: ChunkChannel
    init(channel: ChunkChannel) { self.channel = channel }
    deinit { channel.cancel() }
}

/// An unbounded single-consumer queue between the transfer thread (producer) and the iterator.
/// No backpressure: LLM streams are small, and `maxBodyBytes` bounds the rest.
final class ChunkChannel: Sendable {
    enum Taken { case chunk(HTTPChunk), empty, finished, failed(HTTPClientError) }

    private struct State {
        var buffer: [HTTPChunk] = []
        var readIndex = 0
        /// nil while the transfer runs; the error is replaced by `.success` once delivered.
        var end: Result<Void, HTTPClientError>?
        var waiter: CheckedContinuation<Void, Never>?
        /// Aborts the transfer; cleared once it has ended so the closure's reference goes away.
        var abort: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    func setAbort(_ abort: @escaping @Sendable () -> Void) {
        state.withLock { if $0.end == nil { $0.abort = abort } }
    }

    func yield(_ chunk: HTTPChunk) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard s.end == nil else { return nil }
            s.buffer.append(chunk)
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Ends the stream after the buffered chunks, with an error or cleanly.
    func finish(_ error: HTTPClientError?) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.abort = nil
            if s.end == nil { s.end = error.map { .failure($0) } ?? .success(()) }
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Drops buffered chunks, makes the next read throw `.cancelled`, and aborts the transfer.
    func cancel() {
        let (waiter, abort) = state.withLock { s -> (CheckedContinuation<Void, Never>?, (@Sendable () -> Void)?) in
            s.buffer.removeAll()
            s.readIndex = 0
            s.end = .failure(.cancelled)
            defer { s.waiter = nil; s.abort = nil }
            return (s.waiter, s.abort)
        }
        abort?()
        waiter?.resume()
    }

    func take() -> Taken {
        state.withLock { s in
            if s.readIndex < s.buffer.count {
                let chunk = s.buffer[s.readIndex]
                s.readIndex += 1
                if s.readIndex == s.buffer.count || s.readIndex > 1024 {
                    s.buffer.removeFirst(s.readIndex)
                    s.readIndex = 0
                }
                return .chunk(chunk)
            }
            switch s.end {
            case nil: return .empty
            case .success: return .finished
            case .failure(let error):
                s.end = .success(())  // throw once, then behave as finished
                return .failed(error)
            }
        }
    }

    /// Suspends the reader until something can be taken; resumes at once if something already can.
    func park(_ waiter: CheckedContinuation<Void, Never>) {
        let ready = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.readIndex < s.buffer.count || s.end != nil { return waiter }
            let previous = s.waiter  // a second concurrent reader is a misuse; never leak the first
            s.waiter = waiter
            return previous
        }
        ready?.resume()
    }
}
