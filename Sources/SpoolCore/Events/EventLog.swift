import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Appends a run's events as JSON Lines. Each event is one `write(2)` of one whole line to an
/// `O_APPEND` fd, so readers (`tail -f`, `jq`, other workers) never see half a line, and `seq`
/// continues from whatever the file already holds when a run changes hands.
public final class EventLog: Sendable {
    public let run: RunID
    private let state: Mutex<State>
    private let clock: any WallClock
    private let faults: Faults

    struct State {
        var fd: Int32
        var path: FilePath
        var seq: Int
        var needsNewline: Bool
        var writes: Int
    }

    /// Opens (creating if needed) the events file at `path` and finds the last `seq` in it.
    public init(path: FilePath, run: RunID, clock: any WallClock = SystemClock(), faults: Faults = .process) throws(SysError) {
        // A file this call creates is empty: no need to read back its tail.
        let fd: Int32
        var tail = (lastSeq: 0, needsNewline: false)
        do throws(SysError) {
            fd = try Sys.open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL)
        } catch where error.errno == EEXIST {
            fd = try Sys.open(path, O_WRONLY | O_APPEND)
            tail = EventLog.readTail(path)
        }
        self.run = run
        self.clock = clock
        self.faults = faults
        state = Mutex(State(fd: fd, path: path, seq: tail.lastSeq, needsNewline: tail.needsNewline, writes: 0))
    }

    deinit {
        state.withLock { Sys.close($0.fd) }
    }

    public var lastSeq: Int { state.withLock { $0.seq } }

    /// Writes one event and returns its `seq`. The line starts `{"ts":…,"seq":…,"run":…,"type":…`.
    @discardableResult
    public func append(_ type: EventType, _ fields: [(String, JSON)] = []) throws(SysError) -> Int {
        let now = clock.now()
        let result: Result<Int, SysError> = state.withLock { s in
            let seq = s.seq + 1
            var line: [UInt8] = s.needsNewline ? [0x0A] : []
            JSON.object([("ts", .string(Timestamp.rfc3339(now))), ("seq", .int(seq)), ("run", .string(run.rawValue)),
                         ("type", .string(type.rawValue))] + fields).encode(into: &line)
            line.append(0x0A)
            if let err = faults.eventWriteErrno, s.writes >= faults.eventWritesBeforeFailure {
                return .failure(SysError(errno: err, call: "write", path: s.path.display))
            }
            do throws(SysError) {
                try Sys.write(s.fd, line, path: s.path)
            } catch {
                // A torn line may be on disk: start the next event on a fresh line.
                s.needsNewline = true
                return .failure(error)
            }
            s.writes += 1
            s.needsNewline = false
            s.seq = seq
            return .success(seq)
        }
        return try result.get()
    }

    /// Flushes the file to stable storage (before a run is marked done).
    public func sync() throws(SysError) {
        let (fd, path) = state.withLock { ($0.fd, $0.path) }
        try Sys.fdatasync(fd, path: path)
    }

    /// The path the log was opened at (the file may have been renamed since; the fd follows it).
    public var path: FilePath { state.withLock { $0.path } }

    static func readTail(_ path: FilePath) -> (lastSeq: Int, needsNewline: Bool) {
        guard let fd = try? Sys.open(path, O_RDONLY) else { return (0, false) }
        defer { Sys.close(fd) }
        guard let st = try? Sys.fstat(fd, path: path), st.size > 0 else { return (0, false) }
        let window = min(st.size, 1 << 20)
        lseek(fd, off_t(st.size - window), SEEK_SET)
        guard let bytes = try? Sys.read(fd, limit: window, path: path) else { return (0, false) }
        let needsNewline = bytes.last != 0x0A
        var last = 0
        for line in bytes.split(separator: 0x0A).reversed() {
            if let seq = JSON.parse(Array(line))?["seq"]?.intValue { last = seq; break }
        }
        return (last, needsNewline)
    }
}

/// One parsed event line.
public struct Event: Sendable {
    public var json: JSON
    /// The line exactly as it is in the file (without its newline), when read from one: fields in the
    /// writer's order, which a parsed `json` does not keep.
    public var raw: [UInt8]?
    public init(json: JSON, raw: [UInt8]? = nil) {
        self.json = json
        self.raw = raw
    }
    public var seq: Int { json["seq"]?.intValue ?? 0 }
    public var type: String { json["type"]?.stringValue ?? "" }
    /// The type as an `EventType`; nil for a type this binary does not know (a newer writer's), which
    /// readers skip.
    public var eventType: EventType? { EventType(rawValue: type) }
    /// The event's fields as `T`, when the event is of `T`'s type.
    public func payload<T: EventPayload>(_: T.Type = T.self) -> T? {
        eventType == T.type ? T(json: json) : nil
    }
    public var ts: Double? { json["ts"]?.stringValue.flatMap(Timestamp.parse) }
    public subscript(key: String) -> JSON? { json[key] }
}

public enum EventReader {
    /// Reads every complete event in a file. Lines that do not parse (a torn write after a disk-full
    /// error) are skipped: they carry no `seq` and so were never counted.
    public static func read(_ path: FilePath) throws(SysError) -> [Event] {
        let bytes = try Sys.readFile(path)
        return parse(bytes)
    }

    public static func parse(_ bytes: [UInt8]) -> [Event] {
        var events: [Event] = []
        var start = 0
        for i in 0..<bytes.count where bytes[i] == 0x0A {
            if i > start {
                let line = Array(bytes[start..<i])
                if let json = JSON.parse(line) { events.append(Event(json: json, raw: line)) }
            }
            start = i + 1
        }
        return events
    }
}
