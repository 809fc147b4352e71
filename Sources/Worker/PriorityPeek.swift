import SpoolCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads a queued job's `priority` without claiming or fully parsing it, so the worker can claim
/// higher-priority jobs first. It looks for a top-level `priority: N` line (column 0) in the first
/// 4 KiB; anything else (no such line, flow-style YAML) counts as 0. The real value is validated after the claim.
enum PriorityPeek {
    static func priority(of path: FilePath) -> Int {
        guard let fd = try? Sys.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) else { return 0 }
        defer { Sys.close(fd) }
        guard let st = try? Sys.fstat(fd, path: path), st.isRegular,
              let head = try? Sys.read(fd, limit: 4096, path: path) else { return 0 }
        return parse(head)
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
