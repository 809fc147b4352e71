import CCurl
import Foundation
import Synchronization

/// One libcurl transfer, run on its own thread so a long stream never occupies a thread of
/// Swift's cooperative pool. It owns the easy handle, a private multi handle (used only so that
/// `curl_multi_wakeup` can interrupt a transfer that is waiting on a silent server), the header
/// list and the error buffer, and frees them in deinit.
///
/// @unchecked Sendable is safe because every stored property except `cancelled` is written only
/// by the thread that created the object (during `init`, before the transfer thread starts) and
/// then only by the transfer thread (in `run` and the callbacks it triggers), and deinit runs
/// after `run` has returned. Other threads call only `cancel()`, which touches the atomic flag
/// and `curl_multi_wakeup`, which libcurl documents as callable from any thread; the multi
/// handle it uses lives until deinit, and the caller holds a strong reference while calling.
final class CurlTransfer: @unchecked Sendable {
    private let request: HTTPClientRequest
    private let channel: ChunkChannel
    private let easy: UnsafeMutableRawPointer
    private let multi: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let cancelled = Atomic<Bool>(false)
    /// Set when we abort from a callback for our own reason (body too large).
    private var abortReason: HTTPClientError?
    /// Set during setup when the request cannot be sent.
    private var setupError: HTTPClientError?

    // Header parsing state: the block being read, and the head once it is known to be final.
    private var blockStatus = 0
    private var blockHeaders: [String: String] = [:]
    private var lastHeaderName: String?
    private var pendingHead: HTTPHead?
    private var headSent = false
    private var received = 0

    // Idle timeout, measured here rather than with CURLOPT_LOW_SPEED_TIME: libcurl averages speed
    // over a window of about five seconds, so after a burst of data it noticed silence late.
    private var lastActivity = DispatchTime.now().uptimeNanoseconds
    private var uploaded: curl_off_t = 0
    private var idleExpired = false

    /// Starts the transfer on a new thread; chunks and the outcome go to `channel`.
    static func start(_ request: HTTPClientRequest, channel: ChunkChannel) {
        _ = CurlLibrary.shared
        guard let easy = curl_easy_init() else {
            channel.finish(.transport(url: request.redactedURL, code: Int(CURLE_FAILED_INIT.rawValue),
                                      message: "curl_easy_init failed"))
            return
        }
        guard let multi = curl_multi_init() else {
            curl_easy_cleanup(easy)
            channel.finish(.transport(url: request.redactedURL, code: Int(CURLE_FAILED_INIT.rawValue),
                                      message: "curl_multi_init failed"))
            return
        }
        let transfer = CurlTransfer(request: request, channel: channel, easy: easy, multi: multi)
        channel.setAbort { [weak transfer] in transfer?.cancel() }
        let thread = Thread { transfer.run() }
        thread.name = "http-transfer"
        thread.start()
    }

    private init(request: HTTPClientRequest, channel: ChunkChannel, easy: UnsafeMutableRawPointer, multi: UnsafeMutableRawPointer) {
        self.request = request
        self.channel = channel
        self.easy = easy
        self.multi = multi
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        configure()
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_multi_cleanup(multi)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Called from any thread: flags the transfer and wakes the transfer thread out of its poll.
    func cancel() {
        cancelled.store(true, ordering: .releasing)
        curl_multi_wakeup(multi)
    }

    private var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    // MARK: Setup

    private func configure() {
        var failed: CURLcode?
        func set(_ code: CURLcode) { if code != CURLE_OK, failed == nil { failed = code } }
        let ms = { (s: Double) in max(1, Int(s * 1000)) }

        set(ar_curl_setopt_str(easy, CURLOPT_URL, request.url))
        set(ar_curl_setopt_ptr(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        set(ar_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1))  // signals are process-wide; we use threads
        set(ar_curl_setopt_str(easy, CURLOPT_ACCEPT_ENCODING, ""))  // whatever this libcurl can decode
        set(ar_curl_setopt_str(easy, CURLOPT_USERAGENT, "agent-runner"))
        set(ar_curl_setopt_str(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(ar_curl_setopt_long(easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1))  // a proxy's CONNECT reply is not our head
        set(ar_curl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, ms(request.connectTimeout)))
        if let timeout = request.timeout { set(ar_curl_setopt_long(easy, CURLOPT_TIMEOUT_MS, ms(timeout))) }
        if let max = request.maxBodyBytes {  // rejects early when Content-Length already says too much
            set(ar_curl_setopt_off(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(max)))
        }
        if request.followRedirects {
            set(ar_curl_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 1))
            set(ar_curl_setopt_long(easy, CURLOPT_MAXREDIRS, HTTPClientRequest.maxRedirects))
            set(ar_curl_setopt_str(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"))
        }

        // Method and body. POSTFIELDS implies POST; other methods are sent as a custom request.
        let method = request.method.uppercased()
        guard !method.isEmpty, method.allSatisfy({ $0.isLetter || $0 == "-" || $0 == "_" }) else {
            setupError = .invalidRequest(url: request.redactedURL, message: "method '\(request.method)' is not an HTTP token")
            return
        }
        if let body = request.body ?? (method == "POST" ? [] : nil) {
            set(ar_curl_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            if body.isEmpty {
                set(ar_curl_setopt_str(easy, CURLOPT_COPYPOSTFIELDS, ""))
            } else {
                set(body.withUnsafeBytes { ar_curl_setopt_ptr(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress)) })
            }
        }
        if method == "HEAD" { set(ar_curl_setopt_long(easy, CURLOPT_NOBODY, 1)) }
        if method != "POST" && method != "HEAD" && !(method == "GET" && request.body == nil) {
            set(ar_curl_setopt_str(easy, CURLOPT_CUSTOMREQUEST, method))
        }

        // Headers. "Expect:" stops libcurl waiting for a 100-continue before sending large bodies.
        var lines = [String]()
        for field in request.headers {
            guard !field.name.isEmpty, !(field.name + field.value).unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }),
                  !field.name.unicodeScalars.contains(where: { $0 == ":" || $0 == " " || $0 == "\t" }) else {
                // The value is deliberately not quoted: it may be a credential.
                setupError = .invalidRequest(url: request.redactedURL, message: "header '\(field.name.prefix(40))' has an invalid name or a line break in its value")
                return
            }
            lines.append(field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)")  // "Name;" sends an empty value
        }
        if request.headers["expect"] == nil { lines.append("Expect:") }
        for line in lines { headerList = curl_slist_append(headerList, line) }
        set(ar_curl_setopt_ptr(easy, CURLOPT_HTTPHEADER, headerList))

        // Callbacks get this object back through an unretained pointer: `run` holds a strong
        // reference for as long as libcurl can call them.
        let context = Unmanaged.passUnretained(self).toOpaque()
        set(ar_curl_setopt_ptr(easy, CURLOPT_HEADERDATA, context))
        set(ar_curl_setopt_ptr(easy, CURLOPT_WRITEDATA, context))
        set(ar_curl_setopt_header_cb(easy) { ptr, size, count, context in
            Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().onHeaderLine(ptr, size * count)
        })
        set(ar_curl_setopt_write_cb(easy) { ptr, size, count, context in
            Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().onBody(ptr, size * count)
        })
        // Progress: notices upload activity, and aborts a cancelled transfer mid-perform.
        set(ar_curl_setopt_ptr(easy, CURLOPT_XFERINFODATA, context))
        set(ar_curl_setopt_long(easy, CURLOPT_NOPROGRESS, 0))
        set(ar_curl_setopt_xferinfo_cb(easy) { context, _, _, _, ulnow in
            Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().onProgress(uploaded: ulnow)
        })
        if let failed {
            setupError = .transport(url: request.redactedURL, code: Int(failed.rawValue), message: String(cString: curl_easy_strerror(failed)))
        }
    }

    // MARK: Running

    private func run() {
        if let setupError { return channel.finish(setupError) }
        let result = perform()
        if result == CURLE_OK && !isCancelled && abortReason == nil {
            if !headSent { sendPendingHead() }
            channel.finish(nil)
        } else {
            channel.finish(error(for: result))
        }
    }

    /// Drives the transfer with the multi interface; `curl_multi_poll` sleeps until there is
    /// socket activity, a libcurl timer is due, or `cancel()` calls `curl_multi_wakeup`.
    private func perform() -> CURLcode {
        guard curl_multi_add_handle(multi, easy) == CURLM_OK else { return CURLE_FAILED_INIT }
        defer { curl_multi_remove_handle(multi, easy) }
        lastActivity = DispatchTime.now().uptimeNanoseconds
        while true {
            var running: Int32 = 0
            let code = curl_multi_perform(multi, &running)
            if code != CURLM_OK { return CURLE_FAILED_INIT }
            if running == 0 { break }
            if isCancelled { return CURLE_ABORTED_BY_CALLBACK }
            var waitMs: Int32 = 1000
            if let idle = request.idleTimeout {
                let quietNs = DispatchTime.now().uptimeNanoseconds &- lastActivity
                let remainingMs = idle * 1000 - Double(quietNs) / 1_000_000
                if remainingMs <= 0 { idleExpired = true; return CURLE_OPERATION_TIMEDOUT }
                waitMs = Int32(min(1000, max(1, remainingMs.rounded(.up))))
            }
            _ = curl_multi_poll(multi, nil, 0, waitMs, nil)
        }
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            if message.pointee.msg == CURLMSG_DONE { return message.pointee.data.result }
        }
        return CURLE_FAILED_INIT
    }

    private func error(for code: CURLcode) -> HTTPClientError {
        if isCancelled { return .cancelled }
        if let abortReason { return abortReason }
        let url = request.redactedURL
        let buffered = String(cString: errorBuffer)
        let message = buffered.isEmpty ? String(cString: curl_easy_strerror(code)) : buffered
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            // One CURLcode for three limits; libcurl's message tells its two apart.
            let limit: Double
            if idleExpired, let idle = request.idleTimeout {
                limit = idle
            } else if message.hasPrefix("Connection timed out") || message.hasPrefix("Resolving timed out") {
                limit = min(request.connectTimeout, request.timeout ?? .infinity)  // libcurl applies the smaller
            } else {
                limit = request.timeout ?? request.connectTimeout
            }
            return .timedOut(url: url, seconds: limit)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .connect(url: url, message: message)
        case CURLE_ABORTED_BY_CALLBACK:
            return .cancelled
        case CURLE_FILESIZE_EXCEEDED:
            return .tooLarge(url: url, limit: request.maxBodyBytes ?? 0)
        default:
            return .transport(url: url, code: Int(code.rawValue), message: message)
        }
    }

    // MARK: Callbacks (transfer thread only)

    /// libcurl passes one complete header line per call. Each response (1xx, each redirect hop,
    /// the final one) is a block starting with a status line and ending with a blank line. Lines
    /// after the head has been sent are chunked trailers and are ignored.
    private func onHeaderLine(_ ptr: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        lastActivity = DispatchTime.now().uptimeNanoseconds
        guard !headSent, let ptr else { return count }
        var line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: count), as: UTF8.self)
        while line.hasSuffix("\n") || line.hasSuffix("\r") || line.hasSuffix("\r\n") { line.removeLast() }
        if line.hasPrefix("HTTP/") {
            blockHeaders = [:]
            lastHeaderName = nil
            blockStatus = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        } else if line.isEmpty {
            endOfBlock()
        } else if line.first == " " || line.first == "\t", let name = lastHeaderName {  // obsolete line folding
            blockHeaders[name, default: ""] += " " + line.trimmingCharacters(in: .whitespaces)
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            blockHeaders[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            lastHeaderName = name
        }
        return count
    }

    private func endOfBlock() {
        var code = 0
        _ = ar_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
        let status = code != 0 ? code : blockStatus
        if (100..<200).contains(status) { return }  // 100 Continue and friends: the real head follows
        pendingHead = HTTPHead(status: status, headers: blockHeaders)
        // A redirect libcurl is about to follow is not the head; if libcurl does not follow it
        // after all, the head is sent with the first body byte or at the end of the transfer.
        let willFollow = request.followRedirects && (300..<400).contains(status) && status != 304
            && blockHeaders["location"] != nil
        if !willFollow { sendPendingHead() }
    }

    private func sendPendingHead() {
        guard let head = pendingHead, !headSent else { return }
        headSent = true
        channel.yield(.head(head))
    }

    /// A non-zero return makes libcurl abort with CURLE_ABORTED_BY_CALLBACK.
    private func onProgress(uploaded now: curl_off_t) -> Int32 {
        if isCancelled { return 1 }
        if now != uploaded {
            uploaded = now
            lastActivity = DispatchTime.now().uptimeNanoseconds
        }
        return 0
    }

    /// Returning less than `count` makes libcurl abort with CURLE_WRITE_ERROR; `error(for:)`
    /// then reports our reason instead.
    private func onBody(_ ptr: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        if isCancelled { return 0 }
        lastActivity = DispatchTime.now().uptimeNanoseconds
        if !headSent { sendPendingHead() }
        guard count > 0, let ptr else { return count }
        received += count
        if let max = request.maxBodyBytes, received > max {
            abortReason = .tooLarge(url: request.redactedURL, limit: max)
            return 0
        }
        channel.yield(.body(Array(UnsafeRawBufferPointer(start: ptr, count: count))))
        return count
    }
}
