#if canImport(Glibc)
import Glibc
#endif

/// An inotify instance. Owns the fd and closes it in `deinit`.
public final class Inotify {
    public let fd: Int32

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
