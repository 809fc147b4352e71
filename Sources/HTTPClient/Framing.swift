import Foundation

/// One Server-Sent Event.
public struct SSEEvent: Sendable, Equatable {
    public var event: String?
    public var data: String
    public var id: String?

    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}

/// Incremental SSE parser (WHATWG rules): lines end in LF, CRLF or CR, even across chunks; `:` lines are
/// comments (keep-alives); `data:` lines join with LF; a blank line dispatches; an event without data is dropped.
public struct SSEParser: Sendable {
    var line: [UInt8] = []
    var lastWasCR = false
    var data: [String] = []
    var event: String?
    var id: String?
    var hasData = false

    public init() {}

    public mutating func feed(_ bytes: [UInt8]) -> [SSEEvent] {
        var out: [SSEEvent] = []
        for b in bytes {
            if lastWasCR && b == 0x0A { lastWasCR = false; continue }
            lastWasCR = false
            if b == 0x0A || b == 0x0D {
                lastWasCR = b == 0x0D
                if let e = take(line) { out.append(e) }
                line.removeAll(keepingCapacity: true)
            } else {
                line.append(b)
            }
        }
        return out
    }

    /// At the end of the stream: a last line without its terminator is processed, but an event that never
    /// got its blank line is not dispatched (the spec drops it).
    public mutating func finish() -> [SSEEvent] {
        if !line.isEmpty { _ = take(line); line = [] }
        return []
    }

    private mutating func take(_ raw: [UInt8]) -> SSEEvent? {
        if raw.isEmpty {
            defer { data = []; event = nil; hasData = false }
            guard hasData else { return nil }
            return SSEEvent(event: event, data: data.joined(separator: "\n"), id: id)
        }
        if raw.first == UInt8(ascii: ":") { return nil }
        let text = String(decoding: raw, as: UTF8.self)
        var field = text, value = ""
        if let colon = text.firstIndex(of: ":") {
            field = String(text[..<colon])
            value = String(text[text.index(after: colon)...])
            if value.hasPrefix(" ") { value.removeFirst() }
        }
        switch field {
        case "data": data.append(value); hasData = true
        case "event": event = value
        case "id": if !value.contains("\0") { id = value }
        default: break
        }
        return nil
    }
}

/// Splits NDJSON: LF-terminated lines, a trailing CR stripped, blank lines skipped.
public struct LineSplitter: Sendable {
    var buffer: [UInt8] = []

    public init() {}

    public mutating func feed(_ bytes: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for b in bytes {
            if b == 0x0A {
                if buffer.last == 0x0D { buffer.removeLast() }
                if !buffer.isEmpty { out.append(buffer) }
                buffer.removeAll(keepingCapacity: true)
            } else {
                buffer.append(b)
            }
        }
        return out
    }

    public mutating func finish() -> [[UInt8]] {
        defer { buffer = [] }
        if buffer.last == 0x0D { buffer.removeLast() }
        return buffer.isEmpty ? [] : [buffer]
    }
}

/// Retry timing: full-jitter exponential backoff, or the server's `retry-after` (seconds or an HTTP date).
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Double
    public var maxDelay: Double

    public init(maxAttempts: Int = 4, baseDelay: Double = 0.5, maxDelay: Double = 30) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    public func shouldRetry(status: Int) -> Bool { status == 408 || status == 429 || status >= 500 }

    /// `attempt` is the attempt that just failed (1-based); `random` is in 0...1.
    public func delay(attempt: Int, retryAfter: String?, random: Double) -> Double {
        if let retryAfter, let seconds = Self.parseRetryAfter(retryAfter) { return min(max(0, seconds), maxDelay) }
        let ceiling = min(maxDelay, baseDelay * Double(1 << min(attempt - 1, 20)))
        return ceiling / 2 + ceiling / 2 * random
    }

    static func parseRetryAfter(_ value: String, now: Date = Date()) -> Double? {
        let v = value.trimmingCharacters(in: .whitespaces)
        if let s = Double(v) { return s }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f.date(from: v).map { $0.timeIntervalSince(now) }
    }
}
