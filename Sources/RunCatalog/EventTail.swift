#if canImport(Glibc)
import Glibc
#endif
import SpoolCore

/// Reads a run's events file from where it left off. The file moves between folders by `link` + `unlink`,
/// which keeps its inode, so the offset stays valid across `cur/` → `done/`; a different inode means a
/// different file (a hand-made copy, a restore) and the run is read again from the start.
public struct EventTail: Sendable, Equatable {
    public private(set) var inode: UInt64 = 0
    public private(set) var offset = 0

    public enum Outcome {
        /// Events after the previous call, complete lines only.
        case appended([Event])
        /// The file is another one than before: these are all of its events; fold them into a fresh record.
        case replaced([Event])
        case missing
    }

    public init() {}

    /// True when the file is the one read before and has no bytes past the last complete line read: one
    /// `stat`, where `read` costs an open, a stat and a close.
    public func isUpToDate(_ path: FilePath) -> Bool {
        var st = stat()
        guard path.withCString({ stat($0, &st) }) == 0 else { return false }
        return UInt64(st.st_ino) == inode && Int(st.st_size) == offset
    }

    /// Reads complete lines past `offset`. A line still being written (no newline yet) waits for the next call.
    public mutating func read(_ path: FilePath) -> Outcome {
        let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }
        if fd < 0 { return .missing }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return .missing }
        var replaced = false
        if UInt64(st.st_ino) != inode || Int(st.st_size) < offset {
            inode = UInt64(st.st_ino)
            offset = 0
            replaced = true
        }
        let size = Int(st.st_size)
        guard size > offset else { return replaced ? .replaced([]) : .appended([]) }
        var bytes = [UInt8](repeating: 0, count: size - offset)
        var got = 0
        while got < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, $0.count - got, off_t(offset + got)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        bytes.removeSubrange(got...)
        guard let lastNewline = bytes.lastIndex(of: 0x0A) else { return replaced ? .replaced([]) : .appended([]) }
        let events = EventReader.parse(Array(bytes[...lastNewline]))
        offset += lastNewline + 1
        return replaced ? .replaced(events) : .appended(events)
    }
}
