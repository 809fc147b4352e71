import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What the worker hears about `new/`.
public enum WatchSignal: Sendable, Equatable {
    /// A name was closed after writing or renamed in: worth a claim attempt now.
    case name([UInt8])
    /// List the whole folder: the poll interval passed, inotify overflowed, or the watcher just started.
    case rescan(WatchRescanReason)
}

public enum WatchRescanReason: String, Sendable {
    /// `rewatch`: the inotify watch on `new/` was added again (the spool folder came back).
    case startup, poll, overflow, rewatch
}

public enum WatchMode: String, Sendable, CaseIterable {
    case inotify, poll
}

/// Watches `new/` with inotify (`IN_CLOSE_WRITE|IN_MOVED_TO`, never `IN_CREATE`, which fires before the
/// writer has written anything) and polls on a timer in every mode, because inotify sees nothing
/// that another NFS client or host wrote. Runs on its own thread, blocked in `poll(2)`.
public final class QueueWatcher: Sendable {
    private let directory: FilePath
    private let mode: WatchMode
    private let interval: Double
    private let events: UInt32
    private var mask: UInt32 { events | UInt32(IN_ONLYDIR) | UInt32(IN_EXCL_UNLINK) }
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let stopped = Mutex(false)
    private let rewatchRequested = Mutex(false)

    /// `events` are the inotify events that report a name; `new/` needs the default (see above), `control/`,
    /// where a file's existence is the message, also creations and removals.
    public init(directory: FilePath, mode: WatchMode, pollInterval: Double,
                events: UInt32 = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO)) throws(SysError) {
        self.directory = directory
        self.mode = mode
        self.events = events
        interval = max(0.05, pollInterval)
        var fds: [Int32] = [0, 0]
        if pipe(&fds) != 0 { throw SysError(errno: errno, call: "pipe", path: "") }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
    }

    deinit {
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
    }

    /// Starts the watcher thread; every signal goes to `deliver`. The first signal is always `.rescan(.startup)`.
    public func start(_ deliver: @escaping @Sendable (WatchSignal) -> Void) throws(SysError) {
        var inotify: Inotify?
        if mode == .inotify {
            let ino = try Inotify()
            try ino.addWatch(directory, mask: mask)
            inotify = ino
        }
        let box = UncheckedBox(inotify)
        let thread = Thread { [self] in self.loop(box.value, deliver) }
        thread.name = "queue-watcher"
        thread.start()
    }

    /// Ends the watcher thread (it exits within one `poll` wake-up).
    public func stop() {
        stopped.withLock { $0 = true }
        var b: UInt8 = 1
        _ = Glibc.write(wakeWrite, &b, 1)
    }

    /// Adds the inotify watch on `new/` again, by path, then delivers `.rescan(.rewatch)`. For when the spool
    /// folder came back: a folder moved away and back keeps its watch (same inode, and adding it again is
    /// harmless), but an unmounted one lost it (`IN_UNMOUNT`, `IN_IGNORED`) and a re-created one never had it.
    public func rewatch() {
        rewatchRequested.withLock { $0 = true }
        var b: UInt8 = 1
        _ = Glibc.write(wakeWrite, &b, 1)
    }

    private func loop(_ inotify: Inotify?, _ deliver: @Sendable (WatchSignal) -> Void) {
        deliver(.rescan(.startup))
        var nextPoll = monotonicNow() + interval
        while !stopped.withLock({ $0 }) {
            let waitMs = Int32(max(0, (nextPoll - monotonicNow()) * 1000).rounded(.up))
            let ready: Inotify.Readiness
            if let inotify {
                ready = inotify.wait(timeoutMs: waitMs, alongside: wakeRead)
            } else {
                var fd = pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
                let rc = Glibc.poll(&fd, 1, waitMs)
                ready = Inotify.Readiness(events: false, other: rc > 0 && fd.revents != 0)
            }
            if ready.other {
                var drain = [UInt8](repeating: 0, count: 64)
                while drain.withUnsafeMutableBytes({ Glibc.read(wakeRead, $0.baseAddress, $0.count) }) > 0 {}
                if stopped.withLock({ $0 }) { break }
                if rewatchRequested.withLock({ let r = $0; $0 = false; return r }) {
                    if let inotify { _ = try? inotify.addWatch(directory, mask: mask) }
                    deliver(.rescan(.rewatch))
                }
            }
            if let inotify, ready.events {
                var seen = Set<[UInt8]>()
                for event in inotify.read() {
                    if event.overflowed {
                        deliver(.rescan(.overflow))
                        continue
                    }
                    // FileManager and others emit IN_MOVED_TO and then IN_CLOSE_WRITE for one name: report it once.
                    if !event.name.isEmpty, seen.insert(event.name).inserted { deliver(.name(event.name)) }
                }
            }
            if monotonicNow() >= nextPoll {
                deliver(.rescan(.poll))
                nextPoll = monotonicNow() + interval
            }
        }
    }
}

/// Moves a non-Sendable value into the watcher thread, which becomes its only user.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

import Foundation
