// The run event types the console reads, named once: each is the `type` string of docs/events.md, under the
// name of its case in the server's EventType (Sources/RunEvents/EventType.swift). A test keeps them equal.
export const EV = Object.freeze({
  queued: 'queued',
  claimed: 'claimed',
  heartbeat: 'heartbeat',
  requeued: 'requeued',
  retried: 'retried',
  started: 'started',
  stepStarted: 'step.started',
  stepOutput: 'step.output',
  stepFinished: 'step.finished',
  paused: 'paused',
  resumed: 'resumed',
  stopRequested: 'stop.requested',
  error: 'error',
  childSpawned: 'child.spawned',
  waitStarted: 'wait.started',
  waitReleased: 'wait.released',
  agentStarted: 'agent.started',
  agentResumed: 'agent.resumed',
  llmRequest: 'llm.request',
  llmRetry: 'llm.retry',
  llmResponse: 'llm.response',
  llmError: 'llm.error',
  toolCall: 'tool.call',
  toolResult: 'tool.result',
  gitBranch: 'git.branch',
  gitCommit: 'git.commit',
  gitError: 'git.error',
  rejected: 'rejected',
  finished: 'finished',
});

// Events that change nothing the run's header shows (its state, steps, tokens, commits).
export const QUIET_EVENTS = new Set([EV.stepOutput, EV.heartbeat, EV.llmRequest]);

// Events after which the run's artifacts may have changed.
export const ARTIFACT_EVENTS = new Set([EV.stepFinished, EV.finished, EV.gitCommit, EV.toolResult]);
