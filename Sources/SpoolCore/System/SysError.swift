#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: which call, on which path, and the errno it returned.
/// The description names the errno symbolically (`ENOSPC`) so logs can be grepped.
public struct SysError: Error, Sendable, Equatable, CustomStringConvertible {
    public var errno: Int32
    public var call: String
    public var path: String

    public init(errno: Int32, call: String, path: String) {
        self.errno = errno
        self.call = call
        self.path = path
    }

    public var name: String { SysError.names[errno] ?? "errno \(errno)" }

    public var description: String {
        "\(call) \(path): \(String(cString: strerror(errno))) (\(name))"
    }

    static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", EINTR: "EINTR", EIO: "EIO", EBADF: "EBADF",
        EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES", EEXIST: "EEXIST", EXDEV: "EXDEV",
        ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL", EMFILE: "EMFILE", ENOSPC: "ENOSPC",
        EROFS: "EROFS", ENAMETOOLONG: "ENAMETOOLONG", ENOTEMPTY: "ENOTEMPTY", ELOOP: "ELOOP",
        EDQUOT: "EDQUOT", ESTALE: "ESTALE", ENXIO: "ENXIO", ETXTBSY: "ETXTBSY", EFBIG: "EFBIG",
    ]
}
