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
    public var lastSeq: Int

    enum CodingKeys: String, CodingKey {
        case id, name, state, status, title, attempt, paused, worker, labels
        case queuedAt = "queued_at", startedAt = "started_at", finishedAt = "finished_at"
        case duration, reason, previous, next
        case lastSeq = "last_seq"
    }

    public init(id: String?, name: String, state: RunState) {
        self.id = id
        self.name = name
        self.state = state
        attempt = 0
        paused = false
        labels = []
        lastSeq = 0
    }

    /// Folds a run's events into a summary. Unknown event types are ignored, so older binaries can read newer logs.
    public mutating func apply(_ events: [Event]) {
        for e in events {
            lastSeq = max(lastSeq, e.seq)
            let ts = e["ts"]?.stringValue
            switch e.type {
            case "queued":
                if let n = e["name"]?.stringValue { name = n }
                if queuedAt == nil { queuedAt = e["queued_at"]?.stringValue ?? ts }
                if let p = e["previous"]?.stringValue { previous = p }
            case "claimed":
                attempt = e["attempt"]?.intValue ?? attempt + 1
                worker = e["worker"]?.stringValue
                paused = false
                status = nil
                finishedAt = nil
            case "started":
                startedAt = ts
                if let t = e["title"]?.stringValue { title = t }
                if case .array(let ls)? = e["labels"] { labels = ls.compactMap(\.stringValue) }
            case "paused": paused = true
            case "resumed": paused = false
            case "rejected": reason = e["message"]?.stringValue
            case "finished":
                status = e["status"]?.stringValue.flatMap(RunStatus.init(rawValue:))
                finishedAt = ts
                duration = e["duration"]?.doubleValue
                paused = false
                if let r = e["reason"]?.stringValue { reason = r }
            case "requeued": worker = nil
            case "retried": next = e["next"]?.stringValue
            default: break
            }
        }
    }
}
