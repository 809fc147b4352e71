import Foundation
import CGit2

/// A failed libgit2 call: which operation, on which path, and libgit2's own message.
public struct GitError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var code: Int32
    public var message: String

    public var description: String {
        var hint = ""
        if code == GIT_ELOCKED.rawValue { hint = "; another process holds a git lock file: retry, or remove a stale *.lock" }
        if code == GIT_ENOTFOUND.rawValue { hint = "; check that the workspace is a git repository" }
        return "git \(operation) failed for \(path): \(message)\(hint)"
    }

    /// Reads libgit2's last error (which may be absent) for a call that returned `code`.
    static func last(_ operation: String, path: String, code: Int32) -> GitError {
        var message = "error \(code)"
        if let e = git_error_last(), let m = e.pointee.message { message = String(cString: m) }
        return GitError(operation: operation, path: path, code: code, message: message)
    }
}

/// Runs a libgit2 call and throws a `GitError` for a negative result.
@discardableResult
func check(_ operation: String, _ path: String, _ code: Int32) throws(GitError) -> Int32 {
    if code < 0 { throw GitError.last(operation, path: path, code: code) }
    return code
}

/// Retries an operation that failed on a lock file another process holds (two runs adding worktrees to one
/// repository at the same moment).
func retryingLocks<T>(_ body: () throws(GitError) -> T) throws(GitError) -> T {
    var delay: UInt32 = 2_000
    for _ in 0..<40 {
        do { return try body() } catch where error.code == GIT_ELOCKED.rawValue || error.message.contains("lock")
                                         || error.message.contains("directory exists") {
            usleep(delay + UInt32.random(in: 0...delay))
            delay = min(delay * 2, 100_000)
        }
    }
    return try body()
}
