#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import JobSpec
import SpoolCore

/// An in-memory index of every run in a spool, for the HTTP API. It is a cache, never a source of truth:
/// it is built from the spool on start, kept fresh by inotify on `new/ cur/ done/ control/`, and checked
/// against the folders by a full rescan every `rescanInterval` (inotify cannot see other NFS clients).
/// Killing the process loses nothing, and several processes can index one spool.
///
/// Each run's events are read once and then only from the offset where the last read stopped, so a list
/// request costs a filter and a sort of summaries in memory, not a read of 10,000 files.
public final class RunCatalog: Sendable {
    public let spool: Spool
    private let state: Mutex<State>
    private let watch: Mutex<Inotify?>
    /// Serialises updates: two of them reading one run's tail from the same offset would fold its events twice.
    private let updating = Mutex(())

    struct Entry {
        var record: RunRecord
        var tail = EventTail()
        var folder: RunState
        /// Title, labels and provider of a queued run come from its job file (no `started` event yet); read once.
        var jobRead = false
    }

    struct State {
        var entries: [String: Entry] = [:]
        /// Keys newest first; nil after a run appears or disappears.
        var order: [String]?
        var lastRescan: Double = 0
    }

    /// Filters of the list endpoint. Each array is "any of"; empty means no filter.
    public struct Query: Sendable {
        public var states: [RunState] = []
        public var statuses: [RunStatus] = []
        public var labels: [String] = []
        /// Case-insensitive substring of id, name or title.
        public var text: String?
        public var limit = 50
        public var offset = 0
        public init() {}
    }

    public struct Page: Sendable {
        public var runs: [RunRecord]
        public var total: Int
        public var counts: [(String, Int)]
    }

    /// Watches the spool with inotify when it can (`watch: false`, or a failure, leaves only rescans).
    public init(spool: Spool, watch: Bool = true) {
        self.spool = spool
        state = Mutex(State())
        var inotify: Inotify? = nil
        if watch, let i = try? Inotify() {
            let mask = UInt32(IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_DELETE)
            for dir in [spool.new, spool.cur, spool.done, spool.control] { _ = try? i.addWatch(dir, mask: mask) }
            inotify = i
        }
        self.watch = Mutex(inotify)
        rescan()
    }

    // MARK: queries

    public func list(_ q: Query) -> Page {
        catchUp()
        return state.withLock { s in
            let order = s.order ?? sortedKeys(s.entries)
            s.order = order
            var counts: [String: Int] = [:]
            var matched: [RunRecord] = []
            let needle = q.text?.lowercased()
            for key in order {
                guard let r = s.entries[key]?.record else { continue }
                counts[r.summary.state.rawValue, default: 0] += 1
                if r.summary.paused && r.summary.state == .running { counts["paused", default: 0] += 1 }
                if let st = r.summary.status { counts[st.rawValue, default: 0] += 1 }
                if !q.states.isEmpty && !q.states.contains(r.summary.state) { continue }
                if !q.statuses.isEmpty && !(r.summary.status.map(q.statuses.contains) ?? false) { continue }
                if !q.labels.isEmpty && !q.labels.contains(where: r.summary.labels.contains) { continue }
                if let needle, !needle.isEmpty, !Self.matches(r, needle) { continue }
                matched.append(r)
            }
            let names = ["queued", "running", "paused", "done"] + RunStatus.allCases.map(\.rawValue)
            let page = Array(matched.dropFirst(q.offset).prefix(q.limit))
            return Page(runs: page, total: matched.count, counts: names.map { ($0, counts[$0] ?? 0) })
        }
    }

    /// One run, brought up to date with the spool first (a detail view must not lag behind a control call).
    public func record(_ run: RunID) -> RunRecord? {
        catchUp()
        refresh(keys: [run.rawValue])
        return state.withLock { $0.entries[run.rawValue]?.record }
    }

    /// Where the run's job file is now, from the index.
    public func location(_ run: RunID) -> RunState? {
        state.withLock { $0.entries[run.rawValue]?.folder }
    }

    public var count: Int { state.withLock { $0.entries.count } }

    /// Runs by state and status, over the whole spool.
    public var counts: [(String, Int)] {
        var q = Query()
        q.limit = 0
        return list(q).counts
    }

    static func matches(_ r: RunRecord, _ needle: String) -> Bool {
        if let id = r.id, id.lowercased().contains(needle) { return true }
        if r.summary.name.lowercased().contains(needle) { return true }
        if let t = r.summary.title, t.lowercased().contains(needle) { return true }
        return false
    }

    /// Newest first by run id (which starts with the time); dropped files not claimed yet (no id) on top.
    func sortedKeys(_ entries: [String: Entry]) -> [String] {
        entries.keys.sorted { a, b in
            let qa = a.hasPrefix(Self.droppedPrefix), qb = b.hasPrefix(Self.droppedPrefix)
            if qa != qb { return qa }
            return a > b
        }
    }

    // MARK: keeping up with the spool

    static let droppedPrefix = "new/"

    /// Applies what inotify reported since the last call. Cheap when nothing happened.
    public func catchUp() {
        let (keys, overflow) = watch.withLock { w -> (Set<String>, Bool) in
            guard let w else { return ([], false) }
            var keys = Set<String>()
            var overflow = false
            for e in w.read() {
                if e.overflowed { overflow = true; continue }
                if let key = Self.key(forFile: e.name) { keys.insert(key) }
            }
            return (keys, overflow)
        }
        if overflow { rescan() } else if !keys.isEmpty { refresh(keys: keys) }
    }

    /// Blocks up to `timeout` seconds for inotify to report something (the caller then calls `catchUp`).
    public func waitForChanges(timeout: Double) {
        let fd = watch.withLock { $0?.fd ?? -1 }
        if fd < 0 { usleep(useconds_t(timeout * 1_000_000)); return }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&p, 1, Int32(timeout * 1000))
    }

    /// The run key a spool file name belongs to: `RUN` for `RUN.yaml`, `RUN.events.jsonl`, `RUN.lease`,
    /// `RUN.pause`…; `new/NAME` for a dropped job file without an id.
    static func key(forFile name: [UInt8]) -> String? {
        if let dot = name.firstIndex(of: 0x2E), let run = RunID(bytes: Array(name[..<dot])) { return run.rawValue }
        if JobName.isJob(name) { return droppedPrefix + String(decoding: name, as: UTF8.self) }
        return nil
    }

    /// Re-reads the named runs: where their job file is, their control files, new events.
    func refresh(keys: Set<String>) {
        updating.withLock { _ in refreshLocked(keys: keys) }
    }

    private func refreshLocked(keys: Set<String>) {
        var found: [String: (RunState, [UInt8])] = [:]
        var controls: [String: (pause: Bool, stop: Bool)] = [:]
        for key in keys {
            if key.hasPrefix(Self.droppedPrefix) {
                let name = Array(key.utf8.dropFirst(Self.droppedPrefix.utf8.count))
                if isRegularJob(spool.new.appending(bytes: name)) { found[key] = (.queued, name) }
                continue
            }
            guard let run = RunID(key) else { continue }
            for st in [RunState.running, .done, .queued] where isRegularJob(spool.jobFile(run, in: st)) {
                found[key] = (st, Array("\(run).yaml".utf8))
                break
            }
            controls[key] = (exists(spool.controlFile(run, .pause)), exists(spool.controlFile(run, .stop)))
        }
        apply(found: found, controls: controls, scope: keys)
    }

    /// Lists `new/ cur/ done/ control/` and reconciles the index with them. Runs on start, after an
    /// inotify overflow, and every few seconds from `serve` (other hosts' writes show up only this way).
    public func rescan() {
        updating.withLock { _ in rescanLocked() }
    }

    private func rescanLocked() {
        var found: [String: (RunState, [UInt8])] = [:]
        for st in [RunState.queued, .running, .done] {
            for entry in (try? Sys.listDirectory(spool.folder(st))) ?? [] where JobName.isJob(entry.name) {
                guard entry.kind == .regular || entry.kind == .unknown else { continue }
                if let run = JobName.runID(entry.name) {
                    // A job file is in exactly one folder, except for an instant during a hand-made copy: cur/ wins.
                    if let old = found[run.rawValue], old.0 == .running { continue }
                    found[run.rawValue] = (st, entry.name)
                } else if st == .queued {
                    found[Self.droppedPrefix + String(decoding: entry.name, as: UTF8.self)] = (.queued, entry.name)
                }
            }
        }
        var controls: [String: (pause: Bool, stop: Bool)] = [:]
        for entry in (try? Sys.listDirectory(spool.control)) ?? [] {
            let text = String(decoding: entry.name, as: UTF8.self)
            if text.hasSuffix(".pause") { controls[String(text.dropLast(6)), default: (false, false)].pause = true }
            if text.hasSuffix(".stop") { controls[String(text.dropLast(5)), default: (false, false)].stop = true }
        }
        apply(found: found, controls: controls, scope: nil)
        state.withLock { $0.lastRescan = monotonicNow() }
    }

    /// Seconds since the last full rescan.
    public var sinceRescan: Double { monotonicNow() - state.withLock { $0.lastRescan } }

    /// Brings entries in `scope` (all when nil) in line with what was found on disk.
    private func apply(found: [String: (RunState, [UInt8])], controls: [String: (pause: Bool, stop: Bool)], scope: Set<String>?) {
        // Reading events happens outside the lock: a first scan of 10,000 runs must not block queries.
        let existing = state.withLock { s in s.entries.mapValues { ($0.folder, $0.tail) } }
        var updates: [String: Entry] = [:]
        for (key, (folder, name)) in found {
            var entry: Entry
            if let old = existing[key] {
                entry = state.withLock { $0.entries[key] } ?? Entry(record: fresh(key, name, folder), folder: folder)
                if old.0 != folder { entry.folder = folder; entry.record.summary.state = folder }
            } else {
                entry = Entry(record: fresh(key, name, folder), folder: folder)
            }
            if let run = RunID(key) {
                switch entry.tail.read(spool.eventsFile(run, in: folder)) {
                case .appended(let events): entry.record.apply(events)
                case .replaced(let events):
                    entry.record = fresh(key, name, folder)
                    entry.record.apply(events)
                case .missing: break
                }
                if folder == .queued && entry.record.summary.startedAt == nil && !entry.jobRead {
                    describe(&entry.record, from: spool.jobFile(run, in: .queued))
                    entry.jobRead = true
                }
                let c = controls[key] ?? (false, false)
                entry.record.stopRequested = c.stop && folder != .done
                // A pause asked for is shown at once; the `paused` event follows within 100 ms.
                if c.pause && folder == .running { entry.record.summary.paused = true }
                if folder != .running { entry.record.summary.paused = false }
            } else if !entry.jobRead {
                // A dropped file has no events until a worker claims it: when it arrived is its mtime.
                let path = spool.new.appending(bytes: name)
                describe(&entry.record, from: path)
                if let st = try? Sys.lstat(path) { entry.record.summary.queuedAt = Timestamp.rfc3339(st.mtime) }
                entry.jobRead = true
            }
            updates[key] = entry
        }
        state.withLock { s in
            var changedSet = false
            for (key, entry) in updates {
                if s.entries.updateValue(entry, forKey: key) == nil { changedSet = true }
            }
            let candidates = scope.map(Array.init) ?? Array(s.entries.keys)
            for key in candidates where found[key] == nil {
                if s.entries.removeValue(forKey: key) != nil { changedSet = true }
            }
            if changedSet { s.order = nil }
        }
    }

    /// Fills in what a queued run's job says about itself. A job that does not load keeps its file name:
    /// the worker will reject it with the reason.
    private func describe(_ record: inout RunRecord, from path: FilePath) {
        guard let bytes = try? Sys.readFile(path, limit: JobLoader.maxFileSize),
              let job = try? JobLoader.load(bytes, file: path.display) else { return }
        record.summary.title = job.title
        record.summary.labels = job.labels
        if let agent = job.steps.lazy.compactMap(\.agent).first {
            record.provider = agent.provider
            record.model = agent.model
        }
    }

    private func fresh(_ key: String, _ name: [UInt8], _ folder: RunState) -> RunRecord {
        let id = RunID(key)?.rawValue
        return RunRecord(summary: RunSummary(id: id, name: String(decoding: name, as: UTF8.self), state: folder))
    }

    private func isRegularJob(_ path: FilePath) -> Bool {
        guard let st = try? Sys.lstat(path) else { return false }
        return st.mode & UInt32(S_IFMT) == UInt32(S_IFREG)
    }

    private func exists(_ path: FilePath) -> Bool { (try? Sys.lstat(path)) != nil }
}
