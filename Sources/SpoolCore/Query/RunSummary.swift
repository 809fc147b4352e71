/// What `ls`, `show` and the HTTP API say about one run, folded from its events.
public struct RunSummary: Sendable, Codable, Equatable {
    /// Nil for a job file dropped into `new/` that no worker has claimed yet (it has no id until then).
    public var id: String?
    /// The file name the job was dropped or submitted as.
    public var name: String
    public var state: RunState
    public var status: RunStatus?
    public var title: String?
    public var attempt: Int
    public var paused: Bool
    public var worker: String?
    public var labels: [String]
    public var queuedAt: String?
    public var startedAt: String?
    public var finishedAt: String?
    public var duration: Double?
    /// Why a run failed or was rejected, when an event says so.
    public var reason: String?
    public var previous: String?
    public var next: String?
    /// The run that spawned this one, and the children this one spawned (`agent-runner spawn`).
    public var parent: String?
    public var children: [String]
    public var lastSeq: Int

    enum CodingKeys: String, CodingKey {
        case id, name, state, status, title, attempt, paused, worker, labels
        case queuedAt = "queued_at", startedAt = "started_at", finishedAt = "finished_at"
        case duration, reason, previous, next, parent, children
        case lastSeq = "last_seq"
    }

    public init(id: String?, name: String, state: RunState) {
        self.id = id
        self.name = name
        self.state = state
        attempt = 0
        paused = false
        labels = []
        children = []
        lastSeq = 0
    }

    /// A summary of what a run's events say.
    public init(id: String?, name: String, state: RunState, history: RunHistory) {
        self.init(id: id, name: name, state: state)
        update(from: history)
    }

    /// Copies the fold of a run's events into this summary. What the events never mention keeps the value
    /// the caller gave it from elsewhere (the name from the file, the title and labels from the job file,
    /// a dropped file's queue time from its mtime).
    public mutating func update(from h: RunHistory) {
        if let n = h.name { name = n }
        if queuedAt == nil { queuedAt = h.queuedAt }
        previous = h.previous ?? previous
        next = h.next ?? next
        parent = h.parent ?? parent
        children = h.children
        attempt = h.attempt
        worker = h.worker
        paused = h.paused
        startedAt = h.startedAt ?? startedAt
        title = h.title ?? title
        labels = h.labels ?? labels
        status = h.status
        finishedAt = h.finishedAt
        duration = h.duration
        reason = h.reason
        lastSeq = max(lastSeq, h.lastSeq)
    }
}
