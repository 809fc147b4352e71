import JSONCore
import SpoolCore

/// Everything the API says about one run, folded from its events: the spool core's `RunSummary` plus what
/// agent steps and git add (provider, model, tokens, branch, commits, steps).
public struct RunRecord: Sendable, Equatable {
    public var summary: RunSummary
    public var provider: String?
    public var model: String?
    public var tokensInput = 0
    public var tokensOutput = 0
    public var branch: String?
    public var head: String?
    public var commits: [Commit] = []
    public var steps: [Step] = []
    /// `control/RUN.stop` exists: a stop was asked for and the worker has not finished the run yet.
    public var stopRequested = false

    public struct Commit: Sendable, Equatable {
        public var sha: String
        public var step: Int?
        public var turn: Int?
        public var files: JSON
    }

    public struct Step: Sendable, Equatable {
        public var step: Int
        public var name: String
        public var kind: String
        public var ok: Bool?
        public var outcome: String?
    }

    public init(summary: RunSummary) { self.summary = summary }

    public var id: String? { summary.id }
    public var tokens: Int { tokensInput + tokensOutput }

    /// Folds more events in; call it with each new batch in order.
    public mutating func apply(_ events: [Event]) {
        summary.apply(events)
        for e in events {
            switch e.type {
            case "claimed":
                // A new attempt starts its steps again; commits stay (they are on the branch).
                steps.removeAll()
            case "agent.started":
                provider = e["provider"]?.stringValue ?? provider
                model = e["model"]?.stringValue ?? model
                if let n = e["step"]?.intValue, let i = steps.lastIndex(where: { $0.step == n }) { steps[i].kind = "agent" }
            case "llm.response":
                if let usage = e["usage"] {
                    tokensInput += usage["input"]?.intValue ?? 0
                    tokensOutput += usage["output"]?.intValue ?? 0
                }
            case "step.started":
                let n = e["step"]?.intValue ?? steps.count + 1
                steps.removeAll { $0.step == n }
                steps.append(Step(step: n, name: e["name"]?.stringValue ?? "step \(n)",
                                  kind: e["command"] == nil ? "agent" : "run", ok: nil, outcome: nil))
            case "step.finished":
                let n = e["step"]?.intValue ?? 0
                if let i = steps.lastIndex(where: { $0.step == n }) {
                    steps[i].ok = e["ok"]?.boolValue
                    steps[i].outcome = e["outcome"]?.stringValue ?? e["error"]?.stringValue
                }
            case "git.branch":
                branch = e["branch"]?.stringValue ?? branch
            case "git.commit":
                guard let sha = e["sha"]?.stringValue else { break }
                branch = e["branch"]?.stringValue ?? branch
                head = sha
                commits.append(Commit(sha: sha, step: e["step"]?.intValue, turn: e["turn"]?.intValue, files: e["files"] ?? .array([])))
            case "finished":
                branch = e["branch"]?.stringValue ?? branch
                head = e["head"]?.stringValue ?? head
            default: break
            }
        }
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
            ("previous", opt(s.previous)), ("next", opt(s.next)), ("last_seq", .int(s.lastSeq)),
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
