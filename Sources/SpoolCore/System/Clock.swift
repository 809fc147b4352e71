#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time for event timestamps and run ids. Injected so tests can pin it.
public protocol WallClock: Sendable {
    func now() -> Double
}

public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Monotonic seconds, for durations and timers that must not jump when the wall clock does.
public func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// The file system's idea of "now": touch a probe file and read back its mtime. Lease staleness is
/// judged against this, never the local clock, because NFS clients' clocks disagree with each other
/// while every lease mtime was set by the same server.
public protocol FileSystemClock: Sendable {
    func now() throws(SysError) -> Double
}

public struct ProbeClock: FileSystemClock {
    public let probe: FilePath
    public init(probe: FilePath) { self.probe = probe }

    public func now() throws(SysError) -> Double {
        do {
            try Sys.touch(probe)
        } catch where error.errno == ENOENT {
            try Sys.writeFile(probe, [])
            try Sys.touch(probe)
        }
        return try Sys.stat(probe).mtime
    }
}
