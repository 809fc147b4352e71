/// The one fold over a run's events: what summaries (`ls`, `show`), the API's catalog, recovery and the
/// reaper read back from `RUN.events.jsonl`. Apply each new batch in order; folding the whole file at once
/// and folding it in pieces give the same history. Unknown event types are skipped, so older binaries can
/// read newer logs.
public struct RunHistory: Sendable, Equatable {
    // Queue
    /// The first `queued` event: the run's submission (or the claim of a dropped file).
    public private(set) var queued: EventType.Queued?
    /// The latest name a `queued` event gave the run.
    public private(set) var name: String?
    /// When the run was queued: the first `queued` event's `queued_at`, else its `ts`.
    public private(set) var queuedAt: String?
    /// The run this one retries.
    public private(set) var previous: String?
    /// The run that retries this one.
    public private(set) var next: String?
    /// The run that spawned this one, and how deep it is under the first run that spawned (0: not spawned).
    public private(set) var parent: String?
    public private(set) var depth = 0
    /// The children this run spawned, in the order it spawned them (`child.spawned`).
    public private(set) var children: [String] = []

    // Waiting
    /// A `wait.started` with no `wait.released` after it: the run is (or is on its way to being) parked.
    public private(set) var parked = false
    /// Released and not claimed since: the next claim goes on with the same attempt, after the wait.
    public private(set) var resumePending = false
    /// The last release: its `step` is where the run goes on (steps up to it never run again).
    public private(set) var lastRelease: EventType.WaitReleased?
    /// The step of the last `wait.started`.
    public private(set) var lastWaitStep: Int?

    // Ownership
    /// How many `claimed` events there are: the attempts made so far (a reaper counts them to decide
    /// between requeueing and failing).
    public private(set) var claims = 0
    /// The current attempt as the last claim numbered it (its count of claims when it did not say).
    public private(set) var attempt = 0
    /// The current attempt's claim.
    public private(set) var claim: EventType.Claimed?
    /// When the current attempt was claimed (`ts` of the last `claimed`).
    public private(set) var claimTime: Double?
    /// When the first attempt was claimed.
    public private(set) var firstClaimTime: Double?
    /// The worker that holds the run: set by a claim, cleared by a requeue.
    public private(set) var worker: String?

    // Running
    /// The latest `started` event.
    public private(set) var started: EventType.Started?
    public private(set) var startedAt: String?
    /// The title and labels the latest `started` event gave; nil when no event gave one.
    public private(set) var title: String?
    public private(set) var labels: [String]?
    public private(set) var paused = false
    /// The current attempt's steps, in the order they started.
    public private(set) var steps: [Step] = []

    // Ending
    public private(set) var status: RunStatus?
    public private(set) var finishedAt: String?
    public private(set) var duration: Double?
    /// Why the run failed, stopped or was rejected, when an event says so.
    public private(set) var reason: String?

    // Agent and git
    public private(set) var provider: String?
    public private(set) var model: String?
    public private(set) var tokensInput = 0
    public private(set) var tokensOutput = 0
    public private(set) var branch: String?
    public private(set) var head: String?
    /// Every commit of every attempt (they stay on the branch).
    public private(set) var commits: [Commit] = []

    // Position
    public private(set) var lastSeq = 0
    /// How many events have been folded in.
    public private(set) var count = 0
    /// The position (among the folded events) of the last `claimed`: the current attempt starts after it.
    public private(set) var lastClaimIndex: Int?
    /// The event types seen since the last claim (or since the start, before any claim).
    private var attemptTypes: Set<EventType> = []

    public struct Step: Sendable, Equatable {
        public var step: Int
        public var name: String
        /// `run` (a shell step) or `agent`.
        public var kind: String
        public var ok: Bool?
        public var outcome: String?
    }

    public struct Commit: Sendable, Equatable {
        public var sha: String
        public var step: Int?
        public var turn: Int?
        public var files: JSON
    }

    public init() {}

    public init(_ events: [Event]) {
        apply(events)
    }

    /// True when the current attempt (the events after the last claim) has an event of `type`: a
    /// recovering worker checks this before completing a finish or a requeue that crashed.
    public func currentAttemptHas(_ type: EventType) -> Bool { attemptTypes.contains(type) }

    /// The events of the current attempt, out of the same events this history was folded from.
    public func currentAttempt(of events: [Event]) -> ArraySlice<Event> {
        events[min(events.count, (lastClaimIndex ?? -1) + 1)...]
    }

    /// Folds more events in; call it with each new batch in order.
    public mutating func apply(_ events: [Event]) {
        for e in events { apply(e) }
    }

    public mutating func apply(_ e: Event) {
        defer { count += 1 }
        lastSeq = max(lastSeq, e.seq)
        guard let type = e.eventType else { return }
        let ts = e["ts"]?.stringValue
        if type == .claimed {
            attemptTypes = []
            lastClaimIndex = count
        }
        attemptTypes.insert(type)
        switch type {
        case .queued:
            let q = EventType.Queued(json: e.json)
            if queued == nil { queued = q }
            if let n = q.name { name = n }
            if queuedAt == nil { queuedAt = q.queuedAt ?? ts }
            if let p = q.previous { previous = p }
            if let p = q.parent { parent = p }
            if let d = q.depth { depth = d }
        case .claimed where resumePending:
            // The claim after a release goes on with the same attempt: a wait is not a retry.
            let c = EventType.Claimed(json: e.json)
            resumePending = false
            claim = c
            claimTime = e.ts
            worker = c.worker
            paused = false
        case .claimed:
            let c = EventType.Claimed(json: e.json)
            claims += 1
            attempt = c.attempt ?? attempt + 1
            claim = c
            claimTime = e.ts
            if firstClaimTime == nil { firstClaimTime = e.ts }
            worker = c.worker
            paused = false
            status = nil
            finishedAt = nil
            // A new attempt starts its steps again; commits stay (they are on the branch).
            steps.removeAll()
        case .started:
            let s = EventType.Started(json: e.json)
            started = s
            startedAt = ts
            if let t = s.title { title = t }
            if let l = s.labels { labels = l }
        case .paused: paused = true
        case .resumed: paused = false
        case .rejected: reason = e["message"]?.stringValue
        case .finished:
            let f = EventType.Finished(json: e.json)
            status = f.status.flatMap(RunStatus.init(rawValue:))
            finishedAt = ts
            duration = f.duration
            paused = false
            if let r = f.reason { reason = r }
            branch = f.branch ?? branch
            head = f.head ?? head
        case .requeued: worker = nil
        case .retried: next = e["next"]?.stringValue
        case .waitStarted:
            parked = true
            lastWaitStep = e["step"]?.intValue
            worker = nil
        case .waitReleased:
            parked = false
            resumePending = true
            lastRelease = EventType.WaitReleased(json: e.json)
        case .childSpawned:
            if let c = EventType.ChildSpawned(json: e.json).child, !children.contains(c) { children.append(c) }
        case .agentStarted:
            let a = EventType.AgentStarted(json: e.json)
            provider = a.provider ?? provider
            model = a.model ?? model
            if let n = a.step, let i = steps.lastIndex(where: { $0.step == n }) { steps[i].kind = "agent" }
        case .llmResponse:
            if e["usage"] != nil {
                let r = EventType.LLMResponse(json: e.json)
                tokensInput += r.inputTokens
                tokensOutput += r.outputTokens
            }
        case .stepStarted:
            let s = EventType.StepStarted(json: e.json)
            let n = s.step ?? steps.count + 1
            steps.removeAll { $0.step == n }
            steps.append(Step(step: n, name: s.name ?? "step \(n)", kind: s.displayKind, ok: nil, outcome: nil))
        case .stepFinished:
            let s = EventType.StepFinished(json: e.json)
            let n = s.step ?? 0
            if let i = steps.lastIndex(where: { $0.step == n }) {
                steps[i].ok = s.ok
                steps[i].outcome = s.outcome ?? s.error
            }
        case .gitBranch:
            branch = e["branch"]?.stringValue ?? branch
        case .gitCommit:
            let c = EventType.GitCommit(json: e.json)
            guard let sha = c.sha else { break }
            branch = c.branch ?? branch
            head = sha
            commits.append(Commit(sha: sha, step: c.step, turn: c.turn, files: c.files ?? .array([])))
        case .heartbeat, .stepOutput, .stopRequested, .error, .agentResumed, .llmRequest, .llmRetry, .llmError,
             .toolCall, .toolResult, .gitError:
            break
        }
    }
}

extension RunHistory {
    /// Folds the events file at `path`; an unreadable or missing file is an empty history.
    public static func read(_ path: FilePath) -> RunHistory {
        RunHistory((try? EventReader.read(path)) ?? [])
    }
}
