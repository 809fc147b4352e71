import Foundation

/// When and how long to wait before retrying a failed API call. Pure arithmetic: the caller
/// sleeps, passes its own random number, and decides what counts as an attempt.
public struct RetryPolicy: Sendable, Equatable {
    /// Total attempts including the first.
    public var maxAttempts: Int
    /// Seconds; the jitter ceiling for the first retry, doubling each attempt.
    public var baseDelay: Double
    /// Seconds; caps both the backoff and a server's Retry-After.
    public var maxDelay: Double

    public init(maxAttempts: Int = 4, baseDelay: Double = 0.5, maxDelay: Double = 30) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Statuses worth retrying: 408 request timeout, 409 conflict (Anthropic's lock timeout),
    /// 429 rate limited, and all 5xx including Anthropic's 529 "overloaded".
    public func shouldRetry(status: Int) -> Bool {
        status == 408 || status == 409 || status == 429 || (500...599).contains(status)
    }

    /// Transport failures worth retrying: connection problems, timeouts and dropped connections.
    /// Cancellation, oversize bodies and invalid requests would fail the same way again.
    public func shouldRetry(error: HTTPClientError) -> Bool {
        switch error {
        case .connect, .timedOut, .transport: return true
        case .cancelled, .tooLarge, .invalidRequest: return false
        }
    }

    /// Seconds to wait after failed attempt number `attempt` (1 for the first).
    ///
    /// A usable `Retry-After` (delta-seconds or an HTTP-date relative to `now`) is honoured as
    /// given, capped at `maxDelay`. Otherwise the vendors' SDKs' backoff: `ceiling × (1 − 0.25 × random)` with
    /// `ceiling = min(maxDelay, baseDelay × 2^(attempt-1))` and `random` in [0, 1). The jitter spreads out clients
    /// that failed together, and the floor of ¾ keeps a run of retries from being spent in a few milliseconds
    /// (full jitter can draw near-zero waits; a llama.cpp server still loading its model answers 503 for a second).
    public func delay(attempt: Int, retryAfter: String?, random: Double, now: Date = Date()) -> Double {
        if let retryAfter, let seconds = Self.parseRetryAfter(retryAfter, now: now) {
            return min(maxDelay, max(0, seconds))
        }
        let exponent = Double(max(0, min(attempt - 1, 62)))
        let ceiling = min(maxDelay, baseDelay * pow(2, exponent))
        return ceiling * (1 - 0.25 * min(max(random, 0), 1))
    }

    /// Delta-seconds ("120", also "1.5" as some APIs send) or an HTTP-date; nil if neither.
    static func parseRetryAfter(_ value: String, now: Date) -> Double? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(text), seconds.isFinite, seconds >= 0 { return seconds }
        return httpDate(text).map { $0.timeIntervalSince(now) }
    }

    /// Parses the three HTTP-date forms of RFC 9110 §5.6.7: IMF-fixdate
    /// ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime
    /// ("Sun Nov  6 08:49:37 1994"). In all three the day precedes the year, so tokens suffice.
    static func httpDate(_ text: String) -> Date? {
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        var month: Int?, numbers: [Int] = [], clock: [Int]?
        for token in text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "-" }) {
            if token.contains(":") {
                let parts = token.split(separator: ":").compactMap { Int($0) }
                guard parts.count == 3 else { return nil }
                clock = parts
            } else if let n = Int(token) {
                numbers.append(n)
            } else if let m = months.firstIndex(of: token.lowercased()) {
                month = m + 1
            }
        }
        guard let month, let clock, numbers.count == 2 else { return nil }
        let day = numbers[0]
        var year = numbers[1]
        if year < 100 { year += year < 70 ? 2000 : 1900 }
        guard (1...31).contains(day), (0...23).contains(clock[0]), (0...59).contains(clock[1]), (0...60).contains(clock[2]) else {
            return nil
        }
        // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        let seconds = days * 86400 + clock[0] * 3600 + clock[1] * 60 + clock[2]
        return Date(timeIntervalSince1970: Double(seconds))
    }
}
