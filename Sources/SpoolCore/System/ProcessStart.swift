import CProcess
#if canImport(Glibc)
import Glibc
#endif

/// When a process started (`/proc/PID/stat` field 22, clock ticks since the host's boot). With the pid it
/// names one process for good: a pid that was reused belongs to a process with another start time.
/// The kernel shifts the field by the reader's time namespace boottime offset; that offset is taken off,
/// so a record written in one namespace matches a reading in another (ProcessRunner's ProcStat does the same, with CProcess's `ar_boot_offset_ticks`).
public enum ProcessStart {
    public static func of(pid: Int32) -> UInt64? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 1024)
        let n = read(fd, &buf, buf.count)
        guard n > 0, let close = buf[0..<n].lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // After "pid (comm)": state is field 3, starttime is field 22.
        let fields = buf[(close + 1)..<n].split(separator: UInt8(ascii: " "))
        guard fields.count > 19 else { return nil }
        guard let start = Int64(String(decoding: fields[19], as: UTF8.self)) else { return nil }
        return UInt64(max(0, start - ar_boot_offset_ticks()))
    }
}
