// One run (#/runs/ID): header with actions, live timeline, steps, artifacts, commits, job file, patch.diff.
import { $, add, clear, h, runLink, short, str } from './dom.js';
import { fmtBytes, fmtDuration, fmtTime, fmtTokens, runDuration, stateBadge } from './format.js';
import { ApiError, api, artifactPath, runPath } from './api.js';
import { poller, showBanner } from './banner.js';
import { EventStream } from './stream.js';
import { filesList, okBadge, renderEvent } from './timeline.js';
import { renderDiff } from './diff.js';
import { MAX_VIEW_BYTES, openArtifact } from './artifacts.js';
import { ARTIFACT_EVENTS, QUIET_EVENTS } from './events.js';

const DETAIL_INTERVAL = 2000;
const MAX_TIMELINE = 4000; // event nodes kept in the timeline; older ones are dropped from the page

export class DetailView {
  constructor(root, id) {
    this.id = id;
    this.run = null;
    this.seqs = new Set();
    this.dead = false;
    this.diffKey = null;
    this.build(root);
    this.poll = poller(() => this.refresh(), DETAIL_INTERVAL);
    this.stream = new EventStream(id, {
      onEvents: (evs) => this.addEvents(evs),
      onEnd: () => { this.refreshSoon(); this.loadArtifacts(); },
      onStatus: (s, msg) => this.streamStatus(s, msg),
    });
    this.loadArtifacts();
  }

  destroy() {
    this.dead = true;
    this.poll.stop();
    this.stream.stop();
    clearTimeout(this.soon);
    clearTimeout(this.artSoon);
  }

  build(root) {
    const btn = (name, label, cls) => h('button', {
      type: 'button', class: 'btn ' + (cls || ''), 'data-testid': 'btn-' + name, disabled: true,
      onclick: () => this.action(name),
    }, label);
    this.buttons = { pause: btn('pause', 'Pause'), resume: btn('resume', 'Resume'), stop: btn('stop', 'Stop', 'danger'), retry: btn('retry', 'Retry') };
    this.title = h('h1', { 'data-testid': 'run-title', class: 'run-title' }, this.id);
    this.badges = h('div', { class: 'badges' });
    this.meta = h('dl', { class: 'meta', 'data-testid': 'run-meta' });
    this.timeline = h('ol', { class: 'timeline', 'data-testid': 'timeline', 'aria-live': 'polite' });
    this.dropped = h('p', { class: 'muted small', hidden: true });
    this.streamBadge = h('span', { class: 'stream-status', 'data-testid': 'stream-status' }, 'connecting');
    this.follow = h('input', { type: 'checkbox', checked: true, 'data-testid': 'follow' });
    this.steps = h('div', { 'data-testid': 'steps' });
    this.commits = h('div', { 'data-testid': 'commits' });
    this.artifacts = h('ul', { class: 'artifacts', 'data-testid': 'artifacts' });
    this.job = h('pre', { class: 'out job', 'data-testid': 'job' });
    this.diff = h('div', { 'data-testid': 'diff' });
    this.diffPanel = h('section', { class: 'panel diff-panel', hidden: true }, h('h2', null, 'patch.diff'), this.diff);
    this.notFound = h('div', { class: 'empty', hidden: true });

    add(root, [h('section', { class: 'detail' },
      h('nav', { class: 'crumbs' }, h('a', { href: '#/', 'data-testid': 'back' }, '← All runs')),
      this.notFound,
      h('div', { class: 'run-head', 'data-testid': 'run-header' },
        h('div', { class: 'run-head-top' }, h('div', { class: 'run-head-title' }, this.title, this.badges),
          h('div', { class: 'actions', 'data-testid': 'run-actions' }, Object.values(this.buttons))),
        this.meta),
      h('div', { class: 'detail-grid' },
        h('section', { class: 'panel timeline-panel' },
          h('div', { class: 'panel-head' }, h('h2', null, 'Events'), this.streamBadge,
            h('label', { class: 'follow' }, this.follow, ' follow')),
          this.dropped, this.timeline),
        h('div', { class: 'side' },
          h('section', { class: 'panel' }, h('h2', null, 'Steps'), this.steps),
          h('section', { class: 'panel' }, h('h2', null, 'Artifacts'), this.artifacts),
          h('section', { class: 'panel commits-panel', hidden: true }, h('h2', null, 'Commits'), this.commits),
          h('section', { class: 'panel' }, h('details', { class: 'job-details' }, h('summary', null, h('h2', null, 'Job file')), this.job)))),
      this.diffPanel)]);
  }

  refreshSoon() {
    clearTimeout(this.soon);
    this.soon = setTimeout(() => this.poll.now(), 80);
  }

  async refresh() {
    let r;
    try {
      r = await api(runPath(this.id));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) { this.showNotFound(); return; }
      throw e;
    }
    if (this.dead || !r) return;
    this.run = r;
    this.renderHead(r);
    if (r.state === 'done' && this.stream.ended) this.poll.stop(); // nothing changes any more (but a retry, which links back)
  }

  showNotFound() {
    this.poll.stop();
    this.stream.stop();
    clear(this.notFound).append(h('p', null, 'No run ', h('span', { class: 'mono' }, this.id), ' in this spool. ', h('a', { href: '#/' }, 'Back to the runs')));
    this.notFound.hidden = false;
    $('.run-head', this.notFound.parentNode).hidden = true;
    $('.detail-grid', this.notFound.parentNode).hidden = true;
  }

  renderHead(r) {
    const title = r.title || r.name || r.id;
    this.title.textContent = title;
    document.title = title + ' · Agent Runner';
    clear(this.badges).append(stateBadge(r, 'run-state'));
    if (r.stop_requested && r.state !== 'done') this.badges.append(h('span', { class: 'badge b-stopping' }, 'stop requested'));
    for (const l of Array.isArray(r.labels) ? r.labels : []) this.badges.append(h('span', { class: 'label' }, str(l)));

    const b = this.buttons;
    const running = r.state === 'running', queued = r.state === 'queued', done = r.state === 'done', waiting = r.state === 'waiting';
    const busy = !!this.busy;
    b.pause.disabled = busy || !(running && !r.paused);
    b.resume.disabled = busy || !(running && r.paused);
    b.stop.disabled = busy || !((running || queued || waiting) && !r.stop_requested) || !r.id;
    b.retry.disabled = busy || !done;
    b.pause.hidden = running && r.paused;
    b.resume.hidden = !(running && r.paused);

    const items = [];
    const row = (k, v, testid, wide) => {
      if (v != null && v !== '' && !(Array.isArray(v) && !v.length)) {
        items.push(h('div', { class: 'mi' + (wide ? ' wide' : '') }, h('dt', null, k), h('dd', { 'data-testid': testid || null }, v)));
      }
    };
    row('Run', h('span', { class: 'mono' }, str(r.id || '(not claimed yet)')), 'run-id');
    row('Name', str(r.name));
    row('Attempt', r.attempt ? String(r.attempt) : null, 'run-attempt');
    row('Worker', r.worker ? h('span', { class: 'mono' }, str(r.worker)) : null, 'run-worker');
    row('Agent', [r.provider, r.model].filter(Boolean).map(str).join(' / ') || null);
    row('Tokens', r.tokens ? fmtTokens(r.tokens) + (r.tokens_input != null ? ' (in ' + r.tokens_input + ', out ' + r.tokens_output + ')' : '') : null, 'run-tokens');
    row('Branch', r.branch ? h('span', { class: 'mono' }, str(r.branch)) : null, 'run-branch');
    row('Head', r.head ? h('span', { class: 'mono', title: str(r.head) }, short(r.head)) : null, 'run-head');
    row('Queued', r.queued_at ? fmtTime(r.queued_at) : null);
    row('Started', r.started_at ? fmtTime(r.started_at) : null);
    row('Finished', r.finished_at ? fmtTime(r.finished_at) : null);
    row('Duration', runDuration(r) != null ? fmtDuration(runDuration(r)) : null, 'run-duration');
    row('Reason', r.reason ? str(r.reason) : null, 'run-reason', true);
    row('Retry of', r.previous ? h('a', { href: runLink(str(r.previous)), class: 'mono' }, str(r.previous)) : null);
    row('Retried as', r.next ? h('a', { href: runLink(str(r.next)), class: 'mono' }, str(r.next)) : null, 'run-next');
    row('Spawned by', r.parent ? h('a', { href: runLink(str(r.parent)), class: 'mono' }, str(r.parent)) : null, 'run-parent');
    const kids = Array.isArray(r.children) ? r.children : [];
    row('Children', kids.length ? h('span', null, kids.map((c, i) => [i ? ', ' : '', h('a', { href: runLink(str(c)), class: 'mono' }, short(str(c).split('-')[1] || c))])) : null,
      'run-children', true);
    add(clear(this.meta), items);

    // Steps
    const steps = Array.isArray(r.steps) ? r.steps : [];
    clear(this.steps).append(steps.length
      ? h('ol', { class: 'steps' }, steps.map((s) => h('li', { 'data-testid': 'step', 'data-step': String(s.step) },
        h('span', { class: 'step-n' }, String(s.step)), ' ', h('span', null, str(s.name)), ' ',
        h('span', { class: 'label' }, str(s.kind)), ' ',
        s.ok == null ? h('span', { class: 'badge b-running' }, 'running') : okBadge(s.ok),
        s.outcome ? h('span', { class: 'muted' }, ' ' + str(s.outcome)) : null)))
      : h('p', { class: 'muted' }, r.state === 'queued' ? 'Not started yet.' : 'No steps.'));

    // Commits (detail gives a list; a list row gives a count)
    const commits = Array.isArray(r.commits) ? r.commits : [];
    const cp = this.commits.parentNode;
    cp.hidden = !commits.length;
    clear(this.commits).append(h('ol', { class: 'commits' }, commits.map((c) => h('li', null,
      h('span', { class: 'mono sha', title: str(c.sha) }, short(c.sha)),
      c.step != null ? ' step ' + c.step + (c.turn != null ? ' turn ' + c.turn : '') : ' final',
      filesList(c.files)))));

    if (typeof r.job === 'string' && this.job.textContent !== r.job) this.job.textContent = r.job;
  }

  async action(name) {
    if (!this.run || !this.run.id) return;
    this.busy = true;
    this.renderHead(this.run);
    try {
      const res = await api(runPath(this.run.id) + '/' + name, { method: 'POST' });
      if (name === 'retry' && res && res.id) {
        showBanner('Retried as ' + res.id, 'info');
        location.hash = runLink(res.id);
        return;
      }
    } catch (e) {
      showBanner((e.code === 'wrong_state' ? 'Cannot ' + name + ' now: ' : name + ' failed: ') + e.message);
    } finally {
      this.busy = false;
    }
    if (this.dead) return;
    this.renderHead(this.run);
    this.poll.now();
    // A worker acts on control files within a poll interval; look again shortly.
    setTimeout(() => { if (!this.dead) this.poll.now(); }, 600);
  }

  streamStatus(s, msg) {
    this.streamBadge.textContent = s === 'error' ? 'error: ' + (msg || '') : s;
    this.streamBadge.dataset.state = s;
    this.streamBadge.className = 'stream-status s-' + s;
  }

  addEvents(events) {
    const tl = this.timeline;
    const stick = this.follow.checked && this.nearBottom();
    const frag = document.createDocumentFragment();
    let headChange = false, artChange = false;
    for (const e of events) {
      if (this.seqs.has(e.seq)) continue;
      this.seqs.add(e.seq);
      frag.append(renderEvent(e));
      if (!QUIET_EVENTS.has(e.type)) headChange = true;
      if (ARTIFACT_EVENTS.has(e.type)) artChange = true;
    }
    // Events arrive in seq order; insert before any later one that is already shown (never happens with one stream).
    tl.append(frag);
    let extra = tl.childElementCount - MAX_TIMELINE;
    if (extra > 0) {
      this.droppedCount = (this.droppedCount || 0) + extra;
      while (extra-- > 0) tl.firstElementChild.remove();
      this.dropped.hidden = false;
      this.dropped.textContent = this.droppedCount + ' earlier events are not shown here (tail the run or read its events file).';
    }
    if (stick) this.scrollToEnd();
    if (headChange) this.refreshSoon();
    if (artChange) this.artifactsSoon();
  }

  nearBottom() {
    const tl = this.timeline;
    if (tl.scrollHeight > tl.clientHeight + 4) return tl.scrollHeight - tl.scrollTop - tl.clientHeight < 80;
    return true;
  }

  scrollToEnd() {
    const tl = this.timeline;
    tl.scrollTop = tl.scrollHeight;
  }

  artifactsSoon() {
    clearTimeout(this.artSoon);
    this.artSoon = setTimeout(() => this.loadArtifacts(), 300);
  }

  async loadArtifacts() {
    let data;
    try {
      data = await api(runPath(this.id) + '/artifacts');
    } catch (e) {
      if (this.dead) return;
      clear(this.artifacts).append(h('li', { class: 'muted' }, e.status === 404 ? 'No artifacts yet.' : 'Could not list artifacts: ' + e.message));
      return;
    }
    if (this.dead) return;
    const list = (data && Array.isArray(data.artifacts)) ? data.artifacts : [];
    clear(this.artifacts);
    if (!list.length) this.artifacts.append(h('li', { class: 'muted' }, 'No artifacts yet.'));
    for (const a of list) {
      const p = str(a.path);
      this.artifacts.append(h('li', { 'data-testid': 'artifact', 'data-path': p },
        h('button', { type: 'button', class: 'linkish mono', onclick: () => openArtifact(this.id, p) }, p),
        h('span', { class: 'muted small' }, ' ' + fmtBytes(a.size))));
    }
    const patch = list.find((a) => a.path === 'patch.diff');
    if (patch) {
      const key = patch.size + '|' + patch.mtime;
      if (key !== this.diffKey) {
        this.diffKey = key;
        try {
          const res = await api(artifactPath(this.id, 'patch.diff'), { raw: true });
          const text = await res.text();
          if (this.dead) return;
          clear(this.diff).append(renderDiff(text.length > MAX_VIEW_BYTES ? text.slice(0, MAX_VIEW_BYTES) : text));
          this.diffPanel.hidden = false;
        } catch (e) {
          this.diffKey = null;
        }
      }
    }
  }
}
