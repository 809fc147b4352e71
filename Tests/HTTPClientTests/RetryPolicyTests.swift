import Foundation
import HTTPClient
import Testing
import TestSupport

@Suite(.ownThread) struct Retries {
    let policy = RetryPolicy()

    @Test func defaults() {
        #expect(policy == RetryPolicy(maxAttempts: 4, baseDelay: 0.5, maxDelay: 30))
    }

    @Test func retryableStatuses() {
        for status in [408, 409, 429, 500, 502, 503, 504, 529, 599] { #expect(policy.shouldRetry(status: status), "\(status)") }
        for status in [200, 204, 301, 400, 401, 403, 404, 413, 422, 600] { #expect(!policy.shouldRetry(status: status), "\(status)") }
    }

    @Test func retryableErrors() {
        #expect(policy.shouldRetry(error: .connect(url: "u", message: "refused")))
        #expect(policy.shouldRetry(error: .timedOut(url: "u", seconds: 1)))
        #expect(policy.shouldRetry(error: .transport(url: "u", code: 18, message: "partial")))
        #expect(!policy.shouldRetry(error: .cancelled))
        #expect(!policy.shouldRetry(error: .tooLarge(url: "u", limit: 1)))
    }

    @Test func jitteredExponentialBounds() {
        for attempt in 1...12 {
            let ceiling = min(30, 0.5 * pow(2, Double(attempt - 1)))
            #expect(policy.delay(attempt: attempt, retryAfter: nil, random: 0) == ceiling)
            #expect(policy.delay(attempt: attempt, retryAfter: nil, random: 0.999999) >= ceiling * 0.75, "never less than 3/4 of the ceiling")
            #expect(policy.delay(attempt: attempt, retryAfter: nil, random: 0.999999) < ceiling * 0.76)
            #expect(policy.delay(attempt: attempt, retryAfter: nil, random: 0.5) == ceiling * 0.875)
        }
        #expect(policy.delay(attempt: 1, retryAfter: nil, random: 0.5) == 0.4375)
        #expect(policy.delay(attempt: 3, retryAfter: nil, random: 1) == 1.5)
        #expect(policy.delay(attempt: 1000, retryAfter: nil, random: 0) == 30, "capped, no overflow")
    }

    @Test func retryAfterSeconds() {
        #expect(policy.delay(attempt: 1, retryAfter: "1", random: 0.9) == 1, "honoured without jitter")
        #expect(policy.delay(attempt: 4, retryAfter: " 0 ", random: 0.9) == 0)
        #expect(policy.delay(attempt: 1, retryAfter: "2.5", random: 0.9) == 2.5)
        #expect(policy.delay(attempt: 1, retryAfter: "3600", random: 0.9) == 30, "capped at maxDelay")
        #expect(policy.delay(attempt: 1, retryAfter: "soon", random: 0.5) == 0.4375, "unparseable falls back to backoff")
        #expect(policy.delay(attempt: 1, retryAfter: "-5", random: 0.5) == 0.4375)
    }

    @Test func retryAfterHTTPDate() {
        let now = Date(timeIntervalSince1970: 784_111_767)  // Sun, 06 Nov 1994 08:49:27 GMT
        #expect(policy.delay(attempt: 1, retryAfter: "Sun, 06 Nov 1994 08:49:37 GMT", random: 0.9, now: now) == 10)
        #expect(policy.delay(attempt: 1, retryAfter: "Sunday, 06-Nov-94 08:49:37 GMT", random: 0.9, now: now) == 10)
        #expect(policy.delay(attempt: 1, retryAfter: "Sun Nov  6 08:49:37 1994", random: 0.9, now: now) == 10)
        #expect(policy.delay(attempt: 1, retryAfter: "Sun, 06 Nov 1994 08:40:00 GMT", random: 0.9, now: now) == 0, "past dates mean now")
        #expect(policy.delay(attempt: 1, retryAfter: "Mon, 07 Nov 1994 08:49:27 GMT", random: 0.9, now: now) == 30, "capped")

        let leap = Date(timeIntervalSince1970: 1_709_208_000)  // Thu, 29 Feb 2024 12:00:00 GMT
        #expect(policy.delay(attempt: 1, retryAfter: "Thu, 29 Feb 2024 12:00:05 GMT", random: 0, now: leap) == 5)
        #expect(policy.delay(attempt: 1, retryAfter: "Fri, 01 Mar 2024 00:00:00 GMT", random: 0, now: leap) == 30)
    }
}
