#if canImport(Glibc)
import Glibc
#endif

/// Follows a growing output file and hands out what is new, in whole lines where possible, up to a
/// total of `cap` bytes. What lies beyond the cap is only counted (the file itself keeps everything).
///
/// Not thread-safe: one run's task polls it.
public final class OutputFollower {
    public let path: String
    public let cap: Int
    private var fd: Int32 = -1
    /// Bytes read from the file but not yet returned (an unfinished line).
    private var pending: [UInt8] = []
    /// Bytes handed out so far.
    public private(set) var returnedBytes = 0
    /// Bytes that were not handed out because of the cap.
    public private(set) var truncatedBytes = 0

    public init(path: String, cap: Int) {
        self.path = path
        self.cap = max(0, cap)
    }

    deinit { if fd >= 0 { close(fd) } }

    /// New complete lines (at most `maxChunk` bytes; a longer line is cut at `maxChunk`), or nil.
    public func poll(maxChunk: Int) -> [UInt8]? {
        readAvailable(limit: max(maxChunk, 1) * 4)
        guard !pending.isEmpty else { return nil }
        var end: Int
        if pending.count > maxChunk {
            // Cut at the last newline within the chunk, else hard at maxChunk.
            end = pending[0..<maxChunk].lastIndex(of: 0x0A).map { $0 + 1 } ?? maxChunk
        } else if let nl = pending.lastIndex(of: 0x0A) {
            end = nl + 1
        } else {
            return nil  // an unfinished line: wait for its newline (or flush)
        }
        end = cutAtCharacterBoundary(end)
        return hand(out: end)
    }

    /// Everything left, including a final line without a newline.
    public func flush() -> [UInt8]? {
        readAvailable(limit: Int.max)
        guard !pending.isEmpty else { return nil }
        return hand(out: pending.count)
    }

    private func hand(out count: Int) -> [UInt8]? {
        let chunk = Array(pending[0..<count])
        pending.removeFirst(count)
        let room = max(0, cap - returnedBytes)
        if room == 0 {
            truncatedBytes += chunk.count
            return nil
        }
        if chunk.count <= room {
            returnedBytes += chunk.count
            return chunk
        }
        let keep = Array(chunk[0..<cutAtCharacterBoundary(room, in: chunk)])
        returnedBytes += keep.count
        truncatedBytes += chunk.count - keep.count
        return keep.isEmpty ? nil : keep
    }

    /// Moves `end` back so a UTF-8 sequence is not split between two events.
    private func cutAtCharacterBoundary(_ end: Int) -> Int { cutAtCharacterBoundary(end, in: pending) }

    private func cutAtCharacterBoundary(_ end: Int, in bytes: [UInt8]) -> Int {
        guard end < bytes.count, end > 0 else { return end }
        var i = end
        // Continuation bytes are 10xxxxxx; step back to the start of the sequence (at most 3 bytes).
        while i > 0, end - i < 4, bytes[i] & 0xC0 == 0x80 { i -= 1 }
        return i == 0 ? end : i
    }

    private func readAvailable(limit: Int) {
        if fd < 0 {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { return }
        }
        var budget = limit
        var buffer = [UInt8](repeating: 0, count: 65536)
        while budget > 0 {
            // Past the cap nothing more is returned: count the rest without keeping it.
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, budget)) }
            if n <= 0 { break }
            if returnedBytes + pending.count >= cap {
                truncatedBytes += n
            } else {
                pending.append(contentsOf: buffer[0..<n])
            }
            budget -= n
        }
    }
}
