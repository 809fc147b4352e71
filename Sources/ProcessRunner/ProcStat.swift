import CProcess
#if canImport(Glibc)
import Glibc
#endif

/// The fields of `/proc/PID/stat` this module needs.
struct ProcStat {
    var state: Character
    var ppid: Int32
    var pgrp: Int32
    /// Clock ticks after the host's boot: with the pid, it names one process even after the pid is reused.
    /// The kernel reports a start time shifted by the *reader's* time namespace boottime offset, so two
    /// workers in different namespaces would see different numbers for one process (and each would sweep
    /// the other's live step cgroups as stale); the reader's own offset is taken off again here.
    var startTime: UInt64

    init?(pid: Int32) {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 1024)
        let n = read(fd, &buf, buf.count)
        guard n > 0 else { return nil }
        // "pid (comm) S ppid pgrp …": comm may hold spaces and parentheses, so split after the last ')'.
        guard let close = buf[0..<n].lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = buf[(close + 1)..<n].split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        guard fields.count > 19, let s = fields[0].first, let ppid = Int32(fields[1]), let pgrp = Int32(fields[2]),
              let start = UInt64(fields[19]) else { return nil }
        state = s
        self.ppid = ppid
        self.pgrp = pgrp
        startTime = UInt64(max(0, Int64(start) - ar_boot_offset_ticks()))
    }

    var isLive: Bool { state != "Z" && state != "X" }

    /// The pids in /proc, for scans.
    static func allPIDs() -> [Int32] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var pids: [Int32] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let pid = Int32(name) { pids.append(pid) }
        }
        return pids
    }
}
