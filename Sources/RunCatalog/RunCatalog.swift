#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import JobSpec
import SpoolCore

/// An in-memory index of every run in a spool, for the HTTP API. It is a cache, never a source of truth:
/// it is built from the spool on start, kept fresh by inotify on `new/ cur/ done/ control/`, and checked
/// against the folders by the rescans its owner schedules (inotify cannot see other NFS clients).
/// Killing the process loses nothing, and several processes can index one spool.
///
/// Each run's events are read once and then only from the offset where the last read stopped, so a list
/// request is one pass over summaries kept newest first, not a read of 10,000 files.
public final class RunCatalog: Sendable {
    public let spool: Spool
    private let state: Mutex<State>
    /// The watch on new/ cur/ done/ control/; `waitForChanges` polls it without a lock, `catchUp` reads it
    /// under `reading` (two readers would split the queued events between them).
    private let inotify: Inotify?
    private let reading = Mutex(())
    /// Serialises updates: two of them reading one run's tail from the same offset would fold its events twice.
    private let updating = Mutex(())
    /// Signalled with the keys of runs whose files inotify saw change (live event streams wait on it).
    public let changes = ChangeSignal()

    struct Entry {
        var key: String
        var record: RunRecord
        var tail = EventTail()
        var folder: RunState
        /// Title, labels and provider of a queued run come from its job file (no `started` event yet); read once.
        var jobRead = false
        var pause = false
        var stop = false
        /// Id, name and title, lowercased once per change rather than once per search.
        var search: [UInt8] = []

        mutating func index() {
            search = Array(((record.id ?? "") + "\n" + record.summary.name + "\n" + (record.summary.title ?? "")).lowercased().utf8)
        }

        func contains(_ needle: [UInt8]) -> Bool {
            search.withUnsafeBufferPointer { h in
                needle.withUnsafeBufferPointer { n in
                    guard n.count <= h.count, let first = n.first else { return n.isEmpty }
                    var i = 0
                    while i <= h.count - n.count {
                        if h[i] == first {
                            var j = 1
                            while j < n.count && h[i + j] == n[j] { j += 1 }
                            if j == n.count { return true }
                        }
                        i += 1
                    }
                    return false
                }
            }
        }
    }

    struct State {
        /// Newest first (see `sortsBefore`); `position` maps a key to its index.
        var entries: [Entry] = []
        var position: [String: Int] = [:]
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
            for dir in [spool.new, spool.cur, spool.wait, spool.done, spool.control] { _ = try? i.addWatch(dir, mask: mask) }
            inotify = i
        }
        self.inotify = inotify
        rescan()
    }

    // MARK: queries

    public func list(_ q: Query) -> Page {
        catchUp()
        return state.withLock { s in
            // One pass over a contiguous array; counts in fixed slots, matches as indices, records copied
            // only for the page.
            var byState = [0, 0, 0, 0], paused = 0
            var byStatus = [Int](repeating: 0, count: RunStatus.allCases.count)
            var matched: [Int] = []
            let needle = q.text?.lowercased() ?? ""
            let stateOrder = [RunState.queued, .running, .done, .waiting]
            let needleBytes = Array(needle.utf8)
            for i in s.entries.indices {
                let st = s.entries[i].record.summary.state
                byState[stateOrder.firstIndex(of: st) ?? 0] += 1
                if st == .running && s.entries[i].record.summary.paused { paused += 1 }
                let status = s.entries[i].record.summary.status
                if let status { byStatus[RunStatus.allCases.firstIndex(of: status) ?? 0] += 1 }
                if !q.states.isEmpty && !q.states.contains(st) { continue }
                if !q.statuses.isEmpty && !(status.map(q.statuses.contains) ?? false) { continue }
                if !q.labels.isEmpty && !q.labels.contains(where: s.entries[i].record.summary.labels.contains) { continue }
                if !needleBytes.isEmpty && !s.entries[i].contains(needleBytes) { continue }
                matched.append(i)
            }
            let page = matched.dropFirst(q.offset).prefix(q.limit).map { s.entries[$0].record }
            let counts = [("queued", byState[0]), ("running", byState[1]), ("paused", paused), ("waiting", byState[3]), ("done", byState[2])]
                + zip(RunStatus.allCases, byStatus).map { ($0.rawValue, $1) }
            return Page(runs: page, total: matched.count, counts: counts)
        }
    }

    /// One run, brought up to date with the spool first (a detail view must not lag behind a control call).
    public func record(_ run: RunID) -> RunRecord? {
        catchUp()
        refresh(keys: [run.rawValue])
        return state.withLock { s in s.position[run.rawValue].map { s.entries[$0].record } }
    }

    /// Where the run's job file is now, from the index.
    public func location(_ run: RunID) -> RunState? {
        state.withLock { s in s.position[run.rawValue].map { s.entries[$0].folder } }
    }

    /// Runs by state and status, over the whole spool.
    public var counts: [(String, Int)] {
        var q = Query()
        q.limit = 0
        return list(q).counts
    }

    /// Newest first by run id (which starts with the time); dropped files not claimed yet (no id) on top.
    static func sortsBefore(_ a: String, _ b: String) -> Bool {
        let qa = a.hasPrefix(droppedPrefix), qb = b.hasPrefix(droppedPrefix)
        if qa != qb { return qa }
        return a > b
    }

    // MARK: keeping up with the spool

    static let droppedPrefix = "new/"

    /// Applies what inotify reported since the last call. Cheap when nothing happened.
    public func catchUp() {
        let (keys, overflow) = reading.withLock { _ -> (Set<String>, Bool) in
            guard let w = inotify else { return ([], false) }
            var keys = Set<String>()
            var overflow = false
            for e in w.read() {
                if e.overflowed { overflow = true; continue }
                if let key = Self.key(forFile: e.name) { keys.insert(key) }
            }
            return (keys, overflow)
        }
        if overflow { rescan() } else if !keys.isEmpty { refresh(keys: keys) }
        changes.signal(keys)
    }

    /// Blocks up to `timeout` seconds for inotify to report something (the caller then calls `catchUp`).
    public func waitForChanges(timeout: Double) {
        guard let inotify else { usleep(useconds_t(timeout * 1_000_000)); return }
        _ = inotify.wait(timeoutMs: Int32(timeout * 1000))
    }

    /// The run key a spool file name belongs to: `RUN` for `RUN.yaml`, `RUN.events.jsonl`, `RUN.lease`,
    /// `RUN.pause`…; `new/NAME` for a dropped job file without an id.
    static func key(forFile name: [UInt8]) -> String? {
        if let file = RunFileName(name) { return file.run.rawValue }
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
            if let here = locate(key) { found[key] = here }
            if let run = RunID(key) {
                controls[key] = (exists(spool.controlFile(run, .pause)), exists(spool.controlFile(run, .stop)))
            }
        }
        apply(found: found, controls: controls, scope: keys)
    }

    /// Lists `new/ cur/ wait/ done/ control/` and reconciles the index with them. Runs on start, after an
    /// inotify overflow, and periodically from `serve` (other hosts' writes show up only this way).
    /// `folders` limits the listing (finished runs rarely change, and listing 10,000 of them costs);
    /// a run that left the listed folders is looked up wherever it went, so it never drops out.
    public func rescan(_ folders: Set<RunState> = Set(RunState.allCases)) {
        updating.withLock { _ in rescanLocked(folders) }
    }

    private func rescanLocked(_ folders: Set<RunState>) {
        var found: [String: (RunState, [UInt8])] = [:]
        for st in [RunState.queued, .running, .waiting, .done] where folders.contains(st) {
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
        var scope: Set<String>? = nil
        if folders.count < RunState.allCases.count {
            let listed = state.withLock { s in s.entries.filter { folders.contains($0.folder) }.map(\.key) }
            var keys = Set(found.keys)
            for key in listed where found[key] == nil {
                keys.insert(key)
                if let here = locate(key) { found[key] = here }
            }
            scope = keys
        }
        apply(found: found, controls: controls, scope: scope)
        if scope == nil { state.withLock { $0.lastRescan = monotonicNow() } }
    }

    /// Where a run's job file is now, looked up directly. Three `lstat`s one after another can miss a job
    /// that moves between them (a requeue from cur/ to new/ after new/ was looked at): a miss is looked up
    /// once more before the run counts as gone.
    private func locate(_ key: String) -> (RunState, [UInt8])? {
        locateOnce(key) ?? locateOnce(key)
    }

    private func locateOnce(_ key: String) -> (RunState, [UInt8])? {
        if key.hasPrefix(Self.droppedPrefix) {
            let name = Array(key.utf8.dropFirst(Self.droppedPrefix.utf8.count))
            return isRegularJob(spool.new.appending(bytes: name)) ? (.queued, name) : nil
        }
        guard let run = RunID(key) else { return nil }
        for st in Spool.lookupOrder where isRegularJob(spool.jobFile(run, in: st)) {
            return (st, Array("\(run).yaml".utf8))
        }
        return nil
    }

    /// Seconds since the last full rescan (one that listed every folder).
    public var sinceRescan: Double { monotonicNow() - state.withLock { $0.lastRescan } }

    /// Brings entries in `scope` (all when nil) in line with what was found on disk.
    private func apply(found: [String: (RunState, [UInt8])], controls: [String: (pause: Bool, stop: Bool)], scope: Set<String>?) {
        // Events are read outside the state lock (a first scan of 10,000 runs must not block queries);
        // `updating` keeps other updaters out meanwhile.
        let existing: [String: Entry] = state.withLock { s in
            var out: [String: Entry] = [:]
            out.reserveCapacity(found.count)
            for key in found.keys { if let i = s.position[key] { out[key] = s.entries[i] } }
            return out
        }
        var updates: [Entry] = []
        for (key, (folder, name)) in found {
            let old = existing[key]
            var entry = old ?? Entry(key: key, record: fresh(key, name, folder), folder: folder)
            var changed = old == nil
            if entry.folder != folder {
                entry.folder = folder
                entry.record.summary.state = folder
                changed = true
            }
            if let run = RunID(key) {
                let events = spool.eventsFile(run, in: folder)
                // Most runs of a rescan are finished and untouched: one stat says so.
                if changed || !entry.tail.isUpToDate(events) {
                    switch entry.tail.read(events) {
                    case .appended(let list):
                        if !list.isEmpty { entry.record.apply(list); changed = true }
                    case .replaced(let list):
                        entry.record = fresh(key, name, folder)
                        entry.record.apply(list)
                        changed = true
                    case .missing: break
                    }
                }
                if folder == .queued && entry.record.summary.startedAt == nil && !entry.jobRead {
                    describe(&entry.record, from: spool.jobFile(run, in: .queued))
                    entry.jobRead = true
                    changed = true
                }
                let c = controls[key] ?? (false, false)
                if changed || c.pause != entry.pause || c.stop != entry.stop {
                    entry.pause = c.pause
                    entry.stop = c.stop
                    entry.record.stopRequested = c.stop && folder != .done
                    // A pause asked for is shown at once; the `paused` event follows within 100 ms.
                    if c.pause && folder == .running { entry.record.summary.paused = true }
                    if folder != .running { entry.record.summary.paused = false }
                    changed = true
                }
            } else if !entry.jobRead {
                // A dropped file has no events until a worker claims it: when it arrived is its mtime.
                let path = spool.new.appending(bytes: name)
                describe(&entry.record, from: path)
                if let st = try? Sys.lstat(path) { entry.record.summary.queuedAt = Timestamp.rfc3339(st.mtime) }
                entry.jobRead = true
                changed = true
            }
            if changed {
                entry.index()
                updates.append(entry)
            }
        }
        state.withLock { s in
            var reorder = false
            for entry in updates {
                if let i = s.position[entry.key] {
                    s.entries[i] = entry
                } else {
                    s.entries.append(entry)
                    reorder = true
                }
            }
            let gone = (scope.map(Array.init) ?? s.entries.map(\.key)).filter { found[$0] == nil && s.position[$0] != nil }
            if !gone.isEmpty {
                let drop = Set(gone)
                s.entries.removeAll { drop.contains($0.key) }
                reorder = true
            }
            if reorder {
                s.entries.sort { Self.sortsBefore($0.key, $1.key) }
                s.position = Dictionary(uniqueKeysWithValues: s.entries.enumerated().map { ($1.key, $0) })
            }
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
