import JSONCore
import SpoolCore

/// Everything the API says about one run, folded from its events: the spool core's `RunSummary` plus what
/// agent steps and git add (provider, model, tokens, branch, commits, steps).
public struct RunRecord: Sendable, Equatable {
    public var summary: RunSummary
    /// The provider and model of the run's agent steps: the job file's (read before the run started) until
    /// an agent step names its own.
    public var provider: String?
    public var model: String?
    /// `control/RUN.stop` exists: a stop was asked for and the worker has not finished the run yet.
    public var stopRequested = false

    /// The fold of the run's events that the fields above are read from.
    public private(set) var history = RunHistory()

    public typealias Commit = RunHistory.Commit
    public typealias Step = RunHistory.Step

    public init(summary: RunSummary) { self.summary = summary }

    public var id: String? { summary.id }
    public var tokensInput: Int { history.tokensInput }
    public var tokensOutput: Int { history.tokensOutput }
    public var tokens: Int { tokensInput + tokensOutput }
    public var branch: String? { history.branch }
    public var head: String? { history.head }
    public var commits: [Commit] { history.commits }
    public var steps: [Step] { history.steps }

    /// Folds more events in; call it with each new batch in order.
    public mutating func apply(_ events: [Event]) {
        history.apply(events)
        summary.update(from: history)
        provider = history.provider ?? provider
        model = history.model ?? model
    }

    /// The list form: one row of the runs table.
    public var json: JSON {
        let s = summary
        func opt(_ v: String?) -> JSON { v.map(JSON.string) ?? .null }
        return .object([
            ("id", opt(s.id)), ("name", .string(s.name)), ("state", .string(s.state.rawValue)),
            ("status", opt(s.status?.rawValue)), ("paused", .bool(s.paused)), ("stop_requested", .bool(stopRequested)),
            ("title", opt(s.title)), ("attempt", .int(s.attempt)), ("worker", opt(s.worker)),
            ("labels", .array(s.labels.map(JSON.string))),
            ("queued_at", opt(s.queuedAt)), ("started_at", opt(s.startedAt)), ("finished_at", opt(s.finishedAt)),
            ("duration", s.duration.map(JSON.double) ?? .null), ("reason", opt(s.reason)),
            ("previous", opt(s.previous)), ("next", opt(s.next)),
            ("parent", opt(s.parent)), ("children", .array(s.children.map(JSON.string))), ("last_seq", .int(s.lastSeq)),
            ("provider", opt(provider)), ("model", opt(model)), ("tokens", .int(tokens)),
            ("branch", opt(branch)), ("head", opt(head)), ("commits", .int(commits.count)),
        ])
    }

    /// The detail form: the row plus commits, steps and the token split (the job text is added by the caller).
    public var detailJSON: JSON {
        guard case .object(var fields) = json else { return json }
        fields.removeAll { $0.0 == "commits" }
        fields.append(("commits", .array(commits.map { c in
            var f: [(String, JSON)] = [("sha", .string(c.sha))]
            if let s = c.step { f.append(("step", .int(s))) }
            if let t = c.turn { f.append(("turn", .int(t))) }
            f.append(("files", c.files))
            return .object(f)
        })))
        fields.append(("commit_count", .int(commits.count)))
        fields.append(("tokens_input", .int(tokensInput)))
        fields.append(("tokens_output", .int(tokensOutput)))
        fields.append(("steps", .array(steps.map { st in
            .object([("step", .int(st.step)), ("name", .string(st.name)), ("kind", .string(st.kind)),
                     ("ok", st.ok.map(JSON.bool) ?? .null), ("outcome", st.outcome.map(JSON.string) ?? .null)])
        })))
        return .object(fields)
    }
}
