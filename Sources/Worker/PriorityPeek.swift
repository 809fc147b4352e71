import SpoolCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads a queued job's `priority` without claiming or fully parsing it, so the worker can claim
/// higher-priority jobs first. It looks for a top-level `priority: N` line (column 0) in the first
/// 4 KiB; anything else (no such line, flow-style YAML) counts as 0. The real value is validated after the claim.
enum PriorityPeek {
    static func priority(of path: FilePath) -> Int {
        if case .job(_, let priority) = inspect(path, wantPriority: { _ in true }) { return priority ?? 0 }
        return 0
    }

    enum Finding {
        /// A regular file: its mtime, and its priority when `wantPriority` asked for it.
        case job(mtime: Double, priority: Int?)
        /// A symlink, FIFO, folder or the like: never a job.
        case notRegular
        /// Gone (another worker claimed it) or unreadable: look again on the next scan.
        case unavailable
    }

    /// One `open` for both questions a scan asks: is it a regular file and how old is it (from `fstat`),
    /// and, if `wantPriority(mtime)` says so, its priority. A start-up scan of 100,000 queued files pays
    /// open + fstat + read + close per file instead of an extra `lstat` with its own path walk.
    static func inspect(_ path: FilePath, wantPriority: (Double) -> Bool) -> Finding {
        let fd: Int32
        do {
            fd = try Sys.openQueued(path)
        } catch {
            return error.errno == ELOOP ? .notRegular : .unavailable
        }
        defer { Sys.close(fd) }
        guard let st = try? Sys.fstat(fd, path: path) else { return .unavailable }
        guard st.isRegular else { return .notRegular }
        guard wantPriority(st.mtime) else { return .job(mtime: st.mtime, priority: nil) }
        guard let head = try? Sys.read(fd, limit: 4096, path: path) else { return .job(mtime: st.mtime, priority: 0) }
        return .job(mtime: st.mtime, priority: parse(head))
    }

    static func parse(_ head: [UInt8]) -> Int {
        let key = Array("priority:".utf8)
        var lineStart = 0
        while lineStart < head.count {
            let end = head[lineStart...].firstIndex(of: 0x0A) ?? head.count
            if end - lineStart > key.count, Array(head[lineStart..<(lineStart + key.count)]) == key {
                var value = String(decoding: head[(lineStart + key.count)..<end], as: UTF8.self)
                if let hash = value.firstIndex(of: "#") { value = String(value[..<hash]) }
                return Int(value.trimmingCharacters(in: .whitespaces)).map { min(max($0, -1000), 1000) } ?? 0
            }
            lineStart = end + 1
        }
        return 0
    }
}

import Foundation
