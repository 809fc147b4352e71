#if canImport(Glibc)
import Glibc
#endif

/// An inotify instance. Owns the fd, which never leaves this type, and closes it in `deinit`; waiting
/// on it goes through `wait`, so nobody can poll an fd whose owner is gone.
///
/// Sendable: the fd is immutable, and `inotify_add_watch`, `poll` and `read` on it are safe from any thread.
/// Two threads calling `read` at once would split the queued events between them: a user with more than
/// one reader serialises `read` itself (RunCatalog does, under its lock).
public final class Inotify: Sendable {
    private let fd: Int32

    public struct Event {
        public var mask: UInt32
        public var name: [UInt8]
        public var overflowed: Bool { mask & UInt32(IN_Q_OVERFLOW) != 0 }
    }

    /// The corresponding C function is `inotify_init1`, non-blocking and close-on-exec.
    public init() throws(SysError) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if fd < 0 { throw SysError(errno: errno, call: "inotify_init1", path: "") }
        self.fd = fd
    }

    deinit { Glibc.close(fd) }

    /// The corresponding C function is `inotify_add_watch`.
    @discardableResult
    public func addWatch(_ path: FilePath, mask: UInt32) throws(SysError) -> Int32 {
        let wd = path.withCString { inotify_add_watch(fd, $0, mask) }
        if wd < 0 { throw SysError(errno: errno, call: "inotify_add_watch", path: path.display) }
        return wd
    }

    /// What `wait` saw.
    public struct Readiness: Sendable, Equatable {
        /// Events are queued: call `read`.
        public var events: Bool
        /// `alongside` became readable.
        public var other: Bool
    }

    /// The corresponding C function is `poll`: waits up to `timeoutMs` (-1 for ever) until events are
    /// queued or `alongside` (another fd, say a wake-up pipe; -1 for none) is readable. A signal that
    /// interrupts the wait returns with neither set.
    public func wait(timeoutMs: Int32, alongside other: Int32 = -1) -> Readiness {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: other, events: Int16(POLLIN), revents: 0)]
        let rc = Glibc.poll(&fds, other >= 0 ? 2 : 1, timeoutMs)
        guard rc > 0 else { return Readiness(events: false, other: false) }
        return Readiness(events: fds[0].revents != 0, other: other >= 0 && fds[1].revents != 0)
    }

    /// Reads every queued event (an empty array when none are ready).
    public func read() -> [Event] {
        var events: [Event] = []
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n <= 0 { break }
            var offset = 0
            let header = MemoryLayout<inotify_event>.size
            while offset + header <= n {
                let (mask, len) = buffer.withUnsafeBytes { raw -> (UInt32, Int) in
                    let ev = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (ev.mask, Int(ev.len))
                }
                var name: [UInt8] = []
                if len > 0 {
                    let bytes = buffer[(offset + header)..<(offset + header + len)]
                    name = Array(bytes.prefix { $0 != 0 })
                }
                events.append(Event(mask: mask, name: name))
                offset += header + len
            }
        }
        return events
    }
}
