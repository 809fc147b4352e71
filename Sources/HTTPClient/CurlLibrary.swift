import CCurl

/// Process-wide libcurl state. `curl_global_init` is not thread-safe, so it runs exactly once,
/// from the lazy initialiser of `shared`, before any easy handle exists.
public final class CurlLibrary: Sendable {
    public static let shared = CurlLibrary()

    private init() {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }

    /// The linked libcurl version, for `agent-runner version` and bug reports.
    public var version: String {
        guard let info = curl_version_info(CURLVERSION_TENTH), let v = info.pointee.version else { return "unknown" }
        return String(cString: v)
    }
}
