import CCurl
import Foundation
import Synchronization

/// One libcurl easy transfer, owned start to finish: the handle and the header list are freed in `deinit`.
/// It runs `curl_easy_perform` on its own thread and hands chunks to `sink`; `cancel()` makes the progress
/// callback abort the transfer.
final class CurlTransfer: @unchecked Sendable {
    // @unchecked: the handle and lists are touched only by the transfer thread (perform) and deinit, which
    // cannot overlap; the flags shared with other threads live in a Mutex.
    private let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let request: HTTPRequest
    private let sink: @Sendable (HTTPChunk) -> Void
    private let shared = Mutex(Flags())
    private var pendingHeaders: [String: String] = [:]
    private var headSent = false
    private var bodyBytes = 0
    private var bodyCopy: [UInt8]
    private var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

    struct Flags {
        var cancelled = false
        var tooLarge = false
    }

    init?(_ request: HTTPRequest, sink: @escaping @Sendable (HTTPChunk) -> Void) {
        _ = CurlLibrary.shared
        guard let h = curl_easy_init() else { return nil }
        handle = h
        self.request = request
        self.sink = sink
        bodyCopy = request.body ?? []
    }

    deinit {
        curl_easy_cleanup(handle)
        if let headerList { curl_slist_free_all(headerList) }
    }

    func cancel() { shared.withLock { $0.cancelled = true } }

    /// The URL without its query, for messages (a query may hold a key).
    var safeURL: String { request.url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.url }

    func perform() throws(HTTPError) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = ar_curl_setopt_str(handle, CURLOPT_URL, request.url)
        _ = ar_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = ar_curl_setopt_str(handle, CURLOPT_USERAGENT, "agent-runner")
        _ = ar_curl_setopt_str(handle, CURLOPT_ACCEPT_ENCODING, "")
        _ = ar_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout * 1000))
        if let t = request.timeout { _ = ar_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(t * 1000)) }
        if let idle = request.idleTimeout {
            _ = ar_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
            _ = ar_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, max(1, Int(idle.rounded(.up))))
        }
        if request.followRedirects {
            _ = ar_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 1)
            _ = ar_curl_setopt_long(handle, CURLOPT_MAXREDIRS, 5)
        }
        for (name, value) in request.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        headerList = curl_slist_append(headerList, "Expect:")  // no 100-continue round trip
        _ = ar_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headerList))
        if request.method == "POST" || request.body != nil {
            _ = ar_curl_setopt_long(handle, CURLOPT_POST, 1)
            _ = ar_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyCopy.count))
        }
        if request.method != "GET" && request.method != "POST" { _ = ar_curl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, request.method) }
        _ = ar_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, context)
        _ = ar_curl_setopt_write_cb(handle) { ptr, size, count, ctx in
            let me = Unmanaged<CurlTransfer>.fromOpaque(ctx!).takeUnretainedValue()
            return me.onBody(UnsafeRawBufferPointer(start: ptr, count: size * count)) ? size * count : 0
        }
        _ = ar_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, context)
        _ = ar_curl_setopt_header_cb(handle) { ptr, size, count, ctx in
            let me = Unmanaged<CurlTransfer>.fromOpaque(ctx!).takeUnretainedValue()
            me.onHeader(UnsafeRawBufferPointer(start: ptr, count: size * count))
            return size * count
        }
        _ = ar_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
        _ = ar_curl_setopt_ptr(handle, CURLOPT_XFERINFODATA, context)
        _ = ar_curl_setopt_xferinfo_cb(handle) { ctx, _, _, _, _ in
            let me = Unmanaged<CurlTransfer>.fromOpaque(ctx!).takeUnretainedValue()
            return me.shared.withLock { $0.cancelled } ? 1 : 0
        }
        errorBuffer.withUnsafeMutableBufferPointer { _ = ar_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, $0.baseAddress) }
        let code = bodyCopy.withUnsafeMutableBytes { raw -> CURLcode in
            if request.method == "POST" || request.body != nil {
                _ = ar_curl_setopt_ptr(handle, CURLOPT_POSTFIELDS, raw.baseAddress ?? UnsafeMutableRawPointer(mutating: ""))
            }
            return curl_easy_perform(handle)
        }
        _ = ar_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, nil)
        if code == CURLE_OK {
            sendHeadIfNeeded()
            return
        }
        let flags = shared.withLock { $0 }
        if flags.tooLarge { throw .tooLarge(url: safeURL, limit: request.maxBodyBytes ?? 0) }
        if flags.cancelled { throw .cancelled }
        let detail = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            throw .connect(url: safeURL, message: message)
        case CURLE_OPERATION_TIMEDOUT:
            throw .timedOut(url: safeURL, message: message)
        default:
            throw .transport(url: safeURL, code: Int(code.rawValue), message: message)
        }
    }

    /// Header lines arrive one at a time; a blank line ends a block. Only the last block (after redirects and
    /// 1xx answers) is the response's head, so a block is sent once the first body byte or the end proves it final.
    private func onHeader(_ raw: UnsafeRawBufferPointer) {
        let line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") { pendingHeaders = [:]; return }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].lowercased()
        pendingHeaders[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }

    private func sendHeadIfNeeded() {
        guard !headSent else { return }
        headSent = true
        var status = 0
        _ = ar_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        sink(.head(HTTPHead(status: status, headers: pendingHeaders)))
    }

    private func onBody(_ raw: UnsafeRawBufferPointer) -> Bool {
        sendHeadIfNeeded()
        bodyBytes += raw.count
        if let limit = request.maxBodyBytes, bodyBytes > limit {
            shared.withLock { $0.tooLarge = true }
            return false
        }
        if shared.withLock({ $0.cancelled }) { return false }
        sink(.body(Array(raw)))
        return true
    }
}
