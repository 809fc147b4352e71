/// Every event type a run's `RUN.events.jsonl` may hold, named once for the emitters (spool core, worker,
/// agent) and the readers (summaries, the catalog, resume, recovery). docs/events.md is the reference for
/// the fields; a test keeps this list and its type tables equal. A new event type is added here first.
///
/// The raw value is the `type` string on disk. Readers that meet a type not listed here ignore it, so
/// older binaries can read newer logs: decode with `EventType(rawValue:)` and treat nil as "skip".
public enum EventType: String, Sendable, CaseIterable, Codable {
    // MARK: Queue and ownership

    /// Submitted, or first seen by the worker that claimed a dropped file: `name`, `name_b64`?, `queued_at`?,
    /// `by`?, `previous`? (the run this one retries), `recovered_by`? (a reaper wrote it from the lease);
    /// a spawned child adds `parent`, `step` (the parent's step that spawned it), `key` and `depth`.
    case queued
    /// A worker won the claim: `attempt`, `worker`, `host`, `pid`; `claimed_at` and `recovered_by` when a
    /// reaper wrote it from the lease.
    case claimed
    /// The owner is alive: `elapsed` (seconds since the claim), `worker`.
    case heartbeat
    /// Back to `new/`: `reason` (a `RequeueReason`), `next_attempt`, `by`.
    case requeued
    /// Appended to a finished run that was queued again as a new run: `next` (its id), `by`, `reason`?.
    case retried

    // MARK: Running

    /// An attempt read its job: `title`?, `attempt`, `steps`, `priority`, `labels`?, `job_bytes`,
    /// `job_sha256`, `workspace`.
    case started
    /// `step`, `name`, `line`, and `command` (shell steps), `kind: "agent"`, `provider`, `model`, or
    /// `kind: "wait"`, `wait` (all, any or N).
    case stepStarted = "step.started"
    /// A slice of a step's output: `step`, `stream` (`stdout`/`stderr`), `text`.
    case stepOutput = "step.output"
    /// `step`, `name`, `ok`, `outcome`, `exit_code`?, `signal`?, `timed_out`?, `duration`, output sizes and
    /// `artifacts`; `error` when the step could not start; `answer` for agent steps.
    case stepFinished = "step.finished"
    /// `step` (frozen mid-step) or `before_step` (held between steps); agent steps add `before_turn`.
    case paused
    /// `step` or `before_step` (and `before_turn`), as in the matching `paused`.
    case resumed
    /// `step` (running or about to run); absent when the run was stopped before it started.
    case stopRequested = "stop.requested"
    /// A problem preparing the run, or a job file that changed under it: `message`, `retry_in`?.
    case error

    /// On the parent, once per child it spawned, written by the parent's worker when the spawning step ends:
    /// `child`, `step`, `key`.
    case childSpawned = "child.spawned"

    /// A `wait:` step parked the run in `wait/`: `step`, `wait` (all, any or N), `needed`, `children`,
    /// `deadline` (on the file system's clock), `timeout`.
    case waitStarted = "wait.started"
    /// A parked run went back to `new/`: `step`, `reason` (`met`, `deadline`, `stopped`), `finished`, `needed`,
    /// `children` (`id`, `status`), `by`, `recovered_by`?.
    case waitReleased = "wait.released"

    // MARK: Agent steps

    /// `step`, `provider`, `model`, `tool_mode`, `tools`, `max_steps`, `prompt`.
    case agentStarted = "agent.started"
    /// A step's conversation rebuilt from earlier events: `step`, `turns`, `interrupted_calls` or
    /// `already_finished`.
    case agentResumed = "agent.resumed"
    /// `step`, `turn`, `provider`, `model`, `messages` (count sent).
    case llmRequest = "llm.request"
    /// A failed request about to be tried again: `step`, `provider`, `attempt`, `status`?, `delay_ms`, `message`.
    case llmRetry = "llm.retry"
    /// `step`, `turn`, `text`, `tool_calls`, `stop_reason`?, `usage` (`input`, `output`), `run_tokens`, `duration_ms`.
    case llmResponse = "llm.response"
    /// `step`, `turn`?, `provider`, `status`?, `message` (never a key).
    case llmError = "llm.error"
    /// `step`, `turn`, `id`, `name`, `arguments`.
    case toolCall = "tool.call"
    /// `step`, `turn`, `id`, `name`, `ok`, `content` (what the model saw), `artifact`? and `bytes`?.
    case toolResult = "tool.result"

    // MARK: Git

    /// `branch`, `base`, `worktree`, `repository`.
    case gitBranch = "git.branch"
    /// `sha`, `branch`, `step`?, `turn`? (absent for the final commit), `files` (`path`, `change`).
    case gitCommit = "git.commit"
    /// `message`.
    case gitError = "git.error"

    // MARK: Ending

    /// The job file did not load: `file`, `file_b64`?, `line`?, `column`?, `reason`, `message`, `expected`?.
    case rejected
    /// Always the last event of a run in `done/`: `status`, `duration`, `reason`?, `branch`?, `head`?,
    /// `recovered_by`?.
    case finished
}
