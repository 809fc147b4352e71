// How each event type reads in a run's timeline. Unknown types show their fields as JSON.
import { $, h, runLink, short, str } from './dom.js';
import { fmtBytes, fmtClock, fmtDuration } from './format.js';
import { EV } from './events.js';

function pre(text, cls) { return h('pre', { class: 'out ' + (cls || '') }, str(text)); }

// Long text in a <details> that shows the first lines.
function foldable(text, cls, lines) {
  text = str(text);
  const max = lines || 14;
  const all = text.split('\n');
  if (all.length <= max + 2 && text.length <= 3000) return pre(text, cls);
  const head = all.slice(0, max).join('\n').slice(0, 3000);
  return h('details', { class: 'fold' },
    h('summary', null, pre(head + '\n…', cls), h('span', { class: 'more' }, 'show all ' + all.length + ' lines')),
    pre(text, cls));
}

export function okBadge(ok, yes, no) {
  if (ok == null) return null;
  return h('span', { class: 'badge ' + (ok ? 'b-succeeded' : 'b-failed') }, ok ? (yes || 'ok') : (no || 'failed'));
}

function prettyArgs(a) {
  if (a == null) return '';
  if (typeof a === 'string') {
    try { return JSON.stringify(JSON.parse(a), null, 2); } catch (_) { return a; }
  }
  return JSON.stringify(a, null, 2);
}

const changeLetter = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R', 'type-change': 'T' };

export function filesList(files) {
  if (!Array.isArray(files) || !files.length) return null;
  return h('ul', { class: 'files' }, files.map((f) => {
    const ch = str(f && f.change);
    return h('li', null, h('span', { class: 'chg chg-' + ch, title: ch }, changeLetter[ch] || '?'), ' ',
      h('span', { class: 'mono' }, str(f && (f.path || f.name))));
  }));
}

function stepRef(e) {
  if (e.step != null) return 'step ' + e.step;
  if (e.before_step != null) return 'before step ' + e.before_step;
  return '';
}

const renderers = {
  [EV.queued]: (e) => ['Queued as ', h('strong', null, str(e.name)),
    e.by ? [' by ', h('span', { class: 'mono' }, str(e.by))] : null,
    e.previous ? [' · retry of ', h('a', { href: runLink(str(e.previous)), class: 'mono' }, short(str(e.previous)) + '…')] : null],
  [EV.claimed]: (e) => ['Claimed by ', h('span', { class: 'mono' }, str(e.worker)), ' · attempt ', str(e.attempt),
    e.host ? ' · ' + str(e.host) + (e.pid ? ' pid ' + e.pid : '') : null],
  [EV.heartbeat]: (e) => h('span', { class: 'muted' }, 'heartbeat · ' + fmtDuration(e.elapsed) + ' in'),
  [EV.requeued]: (e) => ['Requeued: ', h('strong', null, str(e.reason)), e.next_attempt ? ' · next attempt ' + e.next_attempt : null],
  [EV.retried]: (e) => ['Retried as ', e.next ? h('a', { href: runLink(str(e.next)), class: 'mono' }, str(e.next)) : '?'],
  [EV.started]: (e) => [h('strong', null, 'Started'), e.title ? [' ', h('span', null, '\u201c' + str(e.title) + '\u201d')] : null,
    ' · attempt ' + str(e.attempt) + ' · ' + str(e.steps) + ' step' + (e.steps === 1 ? '' : 's'),
    e.priority ? ' · priority ' + e.priority : null,
    Array.isArray(e.labels) ? e.labels.map((l) => h('span', { class: 'label' }, str(l))) : null,
    e.workspace ? h('div', { class: 'sub mono' }, str(e.workspace)) : null],
  [EV.stepStarted]: (e) => [h('strong', null, 'Step ' + str(e.step) + ': ' + str(e.name)),
    e.kind === 'agent' || e.provider ? ' · agent ' + [e.provider, e.model].filter(Boolean).map(str).join(' / ') : null,
    e.command != null ? foldable(e.command, 'cmd', 6) : null],
  [EV.stepOutput]: (e) => pre(e.text, 'stream-' + str(e.stream)),
  [EV.stepFinished]: (e) => [okBadge(e.ok), ' ', h('strong', null, 'Step ' + str(e.step) + (e.name ? ': ' + str(e.name) : '')),
    ' · ', str(e.outcome || e.error || ''), e.duration != null ? ' · ' + fmtDuration(e.duration) : null,
    e.stdout_bytes != null ? h('span', { class: 'muted' }, ' · stdout ' + fmtBytes(e.stdout_bytes) + (e.stdout_truncated ? ' (events hold the first part; the artifact has all)' : '') +
      ', stderr ' + fmtBytes(e.stderr_bytes) + (e.stderr_truncated ? ' (events hold the first part; the artifact has all)' : '')) : null,
    e.answer ? foldable(e.answer, 'answer prose', 10) : null],
  [EV.paused]: (e) => [h('strong', null, 'Paused'), stepRef(e) ? ' · ' + stepRef(e) : null],
  [EV.resumed]: (e) => [h('strong', null, 'Resumed'), stepRef(e) ? ' · ' + stepRef(e) : null],
  [EV.stopRequested]: (e) => [h('strong', null, 'Stop requested'), stepRef(e) ? ' · ' + stepRef(e) : ' before the run started'],
  [EV.error]: (e) => h('span', { class: 'err' }, str(e.message)),
  [EV.agentStarted]: (e) => [h('strong', null, 'Agent'), ' ', [e.provider, e.model].filter(Boolean).map(str).join(' / '),
    e.tool_mode ? ' · tools ' + str(e.tool_mode) : null, e.max_steps ? ' · max ' + e.max_steps + ' turns' : null,
    Array.isArray(e.tools) ? h('div', { class: 'sub' }, e.tools.map((t) => h('span', { class: 'label mono' }, str(t)))) : null,
    e.prompt != null ? foldable(e.prompt, 'prose', 8) : null],
  [EV.agentResumed]: (e) => [h('strong', null, 'Agent resumed'),
    e.already_finished ? ' · already finished' : ' · ' + str(e.turns) + ' turns rebuilt',
    Array.isArray(e.interrupted_calls) && e.interrupted_calls.length ? ' · ' + e.interrupted_calls.length + ' interrupted tool calls' : null],
  [EV.llmRequest]: (e) => h('span', { class: 'muted' }, 'turn ' + str(e.turn) + ' → ' + [e.provider, e.model].filter(Boolean).map(str).join(' / ') +
    (e.messages != null ? ' · ' + e.messages + ' messages' : '')),
  [EV.llmRetry]: (e) => h('span', { class: 'warn' }, 'retrying ' + str(e.provider) + ' after attempt ' + str(e.attempt) +
    (e.status ? ' (HTTP ' + e.status + ')' : '') + ' in ' + str(e.delay_ms) + ' ms: ' + str(e.message)),
  [EV.llmResponse]: (e) => {
    const calls = Array.isArray(e.tool_calls) ? e.tool_calls : [];
    const u = e.usage || {};
    return [
      e.text ? h('div', { class: 'prose llm-text' }, str(e.text)) : null,
      calls.map((c) => h('div', { class: 'toolcall' }, h('span', { class: 'tool-name mono' }, str(c && c.name) + '('),
        foldable(prettyArgs(c && c.arguments), 'args', 8), h('span', { class: 'tool-name mono' }, ')'))),
      h('div', { class: 'sub muted' }, 'turn ' + str(e.turn),
        u.input != null ? ' · in ' + u.input + ' / out ' + u.output + ' tokens' : '',
        e.run_tokens != null ? ' · run total ' + e.run_tokens : '',
        e.duration_ms != null ? ' · ' + e.duration_ms + ' ms' : '',
        e.stop_reason ? ' · ' + str(e.stop_reason) : ''),
    ];
  },
  [EV.llmError]: (e) => h('span', { class: 'err' }, str(e.provider) + (e.status ? ' HTTP ' + e.status : '') + ': ' + str(e.message)),
  [EV.toolCall]: (e) => h('div', { class: 'toolcall' }, h('span', { class: 'tool-name mono' }, str(e.name) + '('),
    foldable(prettyArgs(e.arguments), 'args', 8), h('span', { class: 'tool-name mono' }, ')')),
  [EV.toolResult]: (e) => [okBadge(e.ok, 'ok', 'error'), ' ', h('span', { class: 'tool-name mono' }, str(e.name)),
    e.bytes != null ? h('span', { class: 'muted' }, ' · ' + fmtBytes(e.bytes) + (e.artifact ? ' in ' + str(e.artifact) : '')) : null,
    foldable(e.content, 'result', 12)],
  [EV.gitBranch]: (e) => ['Branch ', h('span', { class: 'mono' }, str(e.branch)), e.base ? [' from ', h('span', { class: 'mono' }, short(e.base))] : null,
    e.worktree ? h('div', { class: 'sub mono' }, str(e.worktree)) : null],
  [EV.gitCommit]: (e) => [h('strong', null, 'Commit '), h('span', { class: 'mono sha', title: str(e.sha) }, short(e.sha)),
    e.branch ? [' on ', h('span', { class: 'mono' }, str(e.branch))] : null,
    e.step != null ? ' · step ' + e.step : null, e.turn != null ? ' turn ' + e.turn : (e.step == null ? ' · final' : null),
    filesList(e.files)],
  [EV.gitError]: (e) => h('span', { class: 'err' }, 'git: ' + str(e.message)),
  [EV.rejected]: (e) => [h('strong', { class: 'err' }, 'Rejected'), ' · ', h('span', { class: 'mono' },
    str(e.file) + (e.line ? ':' + e.line + (e.column ? ':' + e.column : '') : '')), ': ', str(e.message),
    e.expected ? ' (expected: ' + str(e.expected) + ')' : null, h('span', { class: 'muted' }, ' [' + str(e.reason) + ']')],
  [EV.finished]: (e) => [h('strong', null, 'Finished '), h('span', { class: 'badge b-' + str(e.status) }, str(e.status)),
    e.duration != null ? ' · ' + fmtDuration(e.duration) : null, e.reason ? ' · ' + str(e.reason) : null,
    e.branch ? [' · ', h('span', { class: 'mono' }, str(e.branch))] : null,
    e.head ? [' @ ', h('span', { class: 'mono', title: str(e.head) }, short(e.head))] : null,
    e.recovered_by ? h('span', { class: 'muted' }, ' · recovered by ' + str(e.recovered_by)) : null],
};

function genericBody(e) {
  const rest = {};
  for (const [k, v] of Object.entries(e)) if (!['ts', 'seq', 'run', 'type'].includes(k)) rest[k] = v;
  return Object.keys(rest).length ? foldable(JSON.stringify(rest, null, 2), 'json', 10) : null;
}

export function renderEvent(e) {
  const type = str(e.type) || 'unknown';
  let body;
  try { body = (renderers[type] || genericBody)(e); } catch (_) { body = genericBody(e); }
  const typeBtn = h('button', { type: 'button', class: 'ev-type', title: 'Show the raw event' }, type);
  const li = h('li', {
    class: 'ev t-' + type.replace(/[^a-z0-9]+/gi, '-') + (e.stream ? ' s-' + str(e.stream).replace(/[^a-z]/g, '') : ''),
    'data-testid': 'event', 'data-seq': String(e.seq), 'data-type': type,
  },
  h('div', { class: 'ev-meta' }, h('span', { class: 'ev-seq' }, '#' + e.seq), h('span', { class: 'ev-time', title: str(e.ts) }, fmtClock(e.ts)), typeBtn),
  h('div', { class: 'ev-body' }, body));
  typeBtn.addEventListener('click', () => {
    const raw = $('.raw', li);
    if (raw) raw.remove(); else li.append(h('pre', { class: 'raw out' }, JSON.stringify(e, null, 2)));
  });
  return li;
}
