// Agent Runner web console. Plain browser JavaScript, no dependencies, no build step.
//
// Everything that comes from the server is untrusted: it only ever reaches the page as text nodes,
// attribute values or `#/…` links built here, never as HTML.
'use strict';

(() => {
  const API = '/api/v1';
  const TOKEN_KEY = 'agentRunnerToken';
  const LIST_INTERVAL = 1500;
  const STATUS_INTERVAL = 5000;
  const DETAIL_INTERVAL = 2000;
  const MAX_TIMELINE = 4000;      // event nodes kept in the timeline; older ones are dropped from the page
  const MAX_VIEW_BYTES = 2 << 20; // artifact text shown in the viewer
  const STATES = ['queued', 'running', 'done'];
  const STATUSES = ['succeeded', 'failed', 'stopped', 'rejected'];

  // ---------------------------------------------------------------- DOM helpers

  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v == null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = String(v);
        else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (k === 'disabled' || k === 'hidden' || k === 'checked' || k === 'open') el[k] = !!v;
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    add(el, kids);
    return el;
  }

  function add(el, kids) {
    for (const k of kids.flat(Infinity)) {
      if (k == null || k === false || k === '') continue;
      el.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return el;
  }

  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const runLink = (id) => '#/runs/' + encodeURIComponent(id);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // ---------------------------------------------------------------- formatting

  let clockSkew = 0; // server time minus browser time, from /status
  const now = () => Date.now() + clockSkew;

  function fmtDuration(sec) {
    if (sec == null || !isFinite(sec)) return '—';
    if (sec < 0) sec = 0;
    if (sec < 10) return sec.toFixed(1) + 's';
    if (sec < 60) return Math.round(sec) + 's';
    const m = Math.floor(sec / 60), s = Math.floor(sec % 60);
    if (m < 60) return m + 'm ' + String(s).padStart(2, '0') + 's';
    const hrs = Math.floor(m / 60);
    if (hrs < 48) return hrs + 'h ' + String(m % 60).padStart(2, '0') + 'm';
    return Math.floor(hrs / 24) + 'd ' + (hrs % 24) + 'h';
  }

  function fmtAge(iso) {
    const t = Date.parse(iso);
    if (!iso || isNaN(t)) return '—';
    const sec = Math.max(0, (now() - t) / 1000);
    if (sec < 60) return Math.floor(sec) + 's ago';
    if (sec < 3600) return Math.floor(sec / 60) + 'm ago';
    if (sec < 86400 * 2) return Math.floor(sec / 3600) + 'h ago';
    return Math.floor(sec / 86400) + 'd ago';
  }

  function fmtTime(iso) {
    const t = Date.parse(iso);
    if (!iso || isNaN(t)) return '—';
    return new Date(t).toLocaleString();
  }

  function fmtClock(iso) {
    const t = Date.parse(iso);
    if (!iso || isNaN(t)) return '';
    const d = new Date(t);
    const p = (n, w) => String(n).padStart(w || 2, '0');
    return p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds()) + '.' + p(d.getMilliseconds(), 3);
  }

  function fmtTokens(n) {
    if (!n) return '—';
    if (n < 1000) return String(n);
    if (n < 1e6) return (n / 1000).toFixed(n < 1e4 ? 1 : 0) + 'k';
    return (n / 1e6).toFixed(n < 1e7 ? 2 : 1) + 'M';
  }

  function fmtBytes(n) {
    if (n == null) return '';
    if (n < 1024) return n + ' B';
    if (n < 1 << 20) return (n / 1024).toFixed(1) + ' KiB';
    return (n / (1 << 20)).toFixed(1) + ' MiB';
  }

  const short = (sha) => (typeof sha === 'string' ? sha.slice(0, 10) : '');
  const str = (v) => (v == null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

  function runDuration(r) {
    if (r.duration != null) return r.duration;
    if (r.state === 'running' && r.started_at) return (now() - Date.parse(r.started_at)) / 1000;
    return null;
  }

  // What a run's badge says, and its colour class.
  function runLabel(r) {
    if (r.state === 'done') return r.status || 'done';
    if (r.state === 'running') {
      if (r.stop_requested) return 'stopping';
      if (r.paused) return 'paused';
      return 'running';
    }
    if (r.state === 'queued' && r.stop_requested) return 'stopping';
    return r.state || 'unknown';
  }

  function stateBadge(r, testid) {
    const label = runLabel(r);
    return h('span', {
      class: 'badge b-' + label, 'data-testid': testid || null,
      'data-state': r.state || '', 'data-status': r.status || '', 'data-paused': r.paused ? 'true' : 'false',
      'data-display': label,
    }, label);
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, body, text) {
      const err = body && body.error ? body.error : null;
      super(err && err.message ? err.message : ('HTTP ' + status + (text ? ': ' + text.slice(0, 200) : '')));
      this.status = status;
      this.code = err ? err.code : null;
      this.detail = err || {};
    }
  }

  function token() { try { return localStorage.getItem(TOKEN_KEY) || ''; } catch (_) { return ''; } }

  // Every /api call goes through here: it adds the token, and on 401 asks for one and tries again.
  async function api(path, opts) {
    opts = opts || {};
    for (;;) {
      const headers = Object.assign({}, opts.headers || {});
      const tok = token();
      if (tok) headers.Authorization = 'Bearer ' + tok;
      if (!opts.raw && !headers.Accept) headers.Accept = 'application/json';
      const res = await fetch(API + path, {
        method: opts.method || 'GET', headers, body: opts.body, signal: opts.signal, cache: 'no-store',
      });
      if (res.status === 401) {
        await askToken(tok ? 'The server refused the saved token. Enter a valid one.' : null);
        continue;
      }
      if (opts.raw && res.ok) return res;
      const text = await res.text();
      let data = null;
      if (text) { try { data = JSON.parse(text); } catch (_) { data = null; } }
      if (!res.ok) throw new ApiError(res.status, data, data ? '' : text);
      return data;
    }
  }

  // ---------------------------------------------------------------- token prompt

  let tokenWaiters = null;

  function askToken(message) {
    const overlay = $('#token-overlay');
    const msg = $('#token-msg');
    msg.textContent = message || 'This server needs an API token. It is kept in this browser\u2019s local storage.';
    if (!tokenWaiters) {
      tokenWaiters = [];
      overlay.hidden = false;
      const input = $('#token-input');
      input.value = '';
      setFieldError($('#token-form'), 'token', null);
      setTimeout(() => input.focus(), 0);
    }
    return new Promise((resolve) => tokenWaiters.push(resolve));
  }

  function initTokenForm() {
    const form = $('#token-form');
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = $('#token-input').value.trim();
      if (!v) { setFieldError(form, 'token', 'Enter the token.'); return; }
      try { localStorage.setItem(TOKEN_KEY, v); } catch (_) { /* private mode: kept for this call only */ }
      $('#token-overlay').hidden = true;
      const waiters = tokenWaiters || [];
      tokenWaiters = null;
      waiters.forEach((r) => r());
    });
    $('#change-token').addEventListener('click', () => {
      askToken('Enter a new API token.').then(() => route());
    });
  }

  // ---------------------------------------------------------------- banner

  let bannerTimer = null;
  function showBanner(text, kind) {
    const b = $('#banner');
    b.textContent = text;
    b.className = 'banner ' + (kind || 'error');
    b.hidden = false;
    clearTimeout(bannerTimer);
    if (kind !== 'sticky') bannerTimer = setTimeout(() => { b.hidden = true; }, 8000);
  }

  let connDown = false;
  function connectionFailed(err) {
    if (err && err.name === 'AbortError') return;
    connDown = true;
    const text = err instanceof ApiError ? err.message : 'Cannot reach the server (' + (err && err.message || err) + ').';
    showBanner(text, 'sticky');
  }
  function connectionOK() {
    if (connDown) { connDown = false; $('#banner').hidden = true; }
  }

  // ---------------------------------------------------------------- pollers

  // Runs fn now and every `interval` ms while the tab is visible; stops with stop().
  function poller(fn, interval) {
    let timer = null, stopped = false, busy = false;
    async function tick() {
      timer = null;
      if (stopped || document.hidden || busy) return;
      busy = true;
      try { await fn(); connectionOK(); } catch (e) { if (!stopped) connectionFailed(e); }
      busy = false;
      if (!stopped && !document.hidden && !timer) timer = setTimeout(tick, interval);
    }
    function onVis() { if (!document.hidden && !timer && !busy) tick(); }
    document.addEventListener('visibilitychange', onVis);
    tick();
    return {
      stop() { stopped = true; clearTimeout(timer); document.removeEventListener('visibilitychange', onVis); },
      now() { if (!busy && !stopped) { clearTimeout(timer); timer = null; tick(); } },
    };
  }

  // ---------------------------------------------------------------- status bar

  let lastStatus = null;
  function renderStatus(st) {
    lastStatus = st;
    if (st.generated_at) {
      const t = Date.parse(st.generated_at);
      if (!isNaN(t)) clockSkew = t - Date.now();
    }
    $('#change-token').hidden = !st.auth_required;

    const workers = Array.isArray(st.workers) ? st.workers : [];
    const alive = workers.filter((w) => w.alive);
    const ws = $('[data-testid="worker-status"]');
    ws.dataset.alive = String(alive.length);
    ws.dataset.total = String(workers.length);
    ws.className = 'pill ' + (alive.length ? 'ok' : 'bad');
    ws.textContent = '';
    add(ws, [h('span', { class: 'dot' }), alive.length === 1 ? '1 worker' : alive.length + ' workers']);
    ws.title = workers.length
      ? workers.map((w) => (w.worker || '?') + ': ' + (w.alive ? 'alive' : 'not seen since ' + fmtTime(w.last_seen)) +
          (w.shutting_down ? ', shutting down' : '') + ', ' + (w.runs ? w.runs.length : 0) + '/' + (w.concurrency || '?') + ' runs').join('\n')
      : 'No worker has registered in this spool.';

    const box = clear($('[data-testid="services"]'));
    for (const s of Array.isArray(st.services) ? st.services : []) {
      const state = s.reachable === true ? 'reachable' : s.reachable === false ? 'unreachable' : 'unknown';
      const cls = state === 'reachable' ? 'ok' : state === 'unreachable' ? 'bad' : 'unknown';
      const tip = [String(s.name) + ' (' + (s.kind || 'service') + ')', s.url ? String(s.url) : '', state,
        s.http_status != null ? 'HTTP ' + s.http_status : '', s.latency_ms != null ? s.latency_ms + ' ms' : '',
        s.error ? String(s.error) : '', s.checked_at ? 'checked ' + fmtTime(s.checked_at) : 'not checked yet'].filter(Boolean).join('\n');
      box.append(h('span', {
        class: 'pill ' + cls, 'data-testid': 'service-status', 'data-name': str(s.name), 'data-state': state, title: tip,
      }, h('span', { class: 'dot' }), str(s.name)));
    }
  }

  async function refreshStatus() { renderStatus(await api('/status')); }

  // ---------------------------------------------------------------- router

  let view = null;
  function route() {
    if (view) view.destroy();
    view = null;
    const app = clear($('#app'));
    const hash = location.hash || '#/';
    const m = hash.match(/^#\/runs\/([^/?#]+)/);
    try {
      view = m ? new DetailView(app, decodeURIComponent(m[1])) : new DashboardView(app, parseQuery(hash));
    } catch (e) {
      app.append(h('p', { class: 'error' }, 'Bad link: ' + e.message));
    }
  }

  function parseQuery(hash) {
    const i = hash.indexOf('?');
    return new URLSearchParams(i >= 0 ? hash.slice(i + 1) : '');
  }

  // ---------------------------------------------------------------- dashboard

  class DashboardView {
    constructor(root, query) {
      this.filters = {
        state: STATES.includes(query.get('state')) ? query.get('state') : '',
        status: STATUSES.includes(query.get('status')) ? query.get('status') : '',
        label: query.get('label') || '',
        q: query.get('q') || '',
        offset: Math.max(0, parseInt(query.get('offset') || '0', 10) || 0),
      };
      this.limit = 50;
      this.rows = new Map();
      document.title = 'Agent Runner';
      this.build(root);
      this.poll = poller(() => this.refresh(), LIST_INTERVAL);
    }

    destroy() { this.poll.stop(); clearTimeout(this.debounce); }

    build(root) {
      const f = this.filters;
      const countChip = (key, filter) => h('button', {
        type: 'button', class: 'count c-' + key, 'data-testid': 'count-' + key, 'data-count': '0',
        title: filter ? 'Show only ' + key : null, disabled: !filter,
        onclick: filter ? () => this.setFilter(filter) : null,
      }, h('span', { class: 'n' }, '0'), h('span', { class: 'k' }, key));

      this.counts = h('div', { class: 'counts', 'data-testid': 'counts' },
        countChip('queued', { state: 'queued', status: '' }),
        countChip('running', { state: 'running', status: '' }),
        countChip('paused', null),
        countChip('done', { state: 'done', status: '' }),
        h('span', { class: 'sep' }),
        countChip('succeeded', { state: '', status: 'succeeded' }),
        countChip('failed', { state: '', status: 'failed' }),
        countChip('stopped', { state: '', status: 'stopped' }),
        countChip('rejected', { state: '', status: 'rejected' }));

      const sel = (name, values, label) => h('label', { class: 'filter' }, h('span', null, label),
        h('select', { name, 'data-testid': 'filter-' + name, onchange: (e) => this.setFilter({ [name]: e.target.value }) },
          h('option', { value: '' }, 'any'),
          values.map((v) => h('option', { value: v, selected: f[name] === v ? true : null }, v))));
      const text = (name, label, placeholder) => h('label', { class: 'filter grow' }, h('span', null, label),
        h('input', {
          type: 'search', name, value: f[name], placeholder, autocomplete: 'off', 'data-testid': 'filter-' + name,
          oninput: (e) => { clearTimeout(this.debounce); this.debounce = setTimeout(() => this.setFilter({ [name]: e.target.value.trim() }), 250); },
        }));
      this.filterForm = h('form', { class: 'filters', 'data-testid': 'filters', onsubmit: (e) => e.preventDefault() },
        sel('state', STATES, 'State'), sel('status', STATUSES, 'Status'),
        text('label', 'Label', 'label'), text('q', 'Search', 'id, name or title'),
        h('button', { type: 'button', class: 'btn ghost', 'data-testid': 'filter-clear', onclick: () => this.clearFilters() }, 'Clear'));

      this.tbody = h('tbody');
      this.table = h('table', { class: 'runs', 'data-testid': 'runs-table' },
        h('thead', null, h('tr', null, ['State', 'Title', 'Provider / model', 'Age', 'Duration', 'Tokens'].map((t) => h('th', { scope: 'col' }, t)))),
        this.tbody);
      this.empty = h('div', { class: 'empty', 'data-testid': 'runs-empty', hidden: true });
      this.pageInfo = h('span', { class: 'muted', 'data-testid': 'runs-total' });
      this.prev = h('button', { type: 'button', class: 'btn ghost', onclick: () => this.setFilter({ offset: Math.max(0, this.filters.offset - this.limit) }, true) }, '← Newer');
      this.next = h('button', { type: 'button', class: 'btn ghost', onclick: () => this.setFilter({ offset: this.filters.offset + this.limit }, true) }, 'Older →');

      add(root, [h('section', { class: 'dash' },
        h('div', { class: 'dash-head' }, h('h1', null, 'Runs'), this.counts),
        this.filterForm,
        h('div', { class: 'table-wrap' }, this.table),
        this.empty,
        h('div', { class: 'pager' }, this.prev, this.pageInfo, this.next))]);
    }

    setFilter(change, keepOffset) {
      Object.assign(this.filters, change);
      if (!keepOffset) this.filters.offset = 0;
      for (const name of ['state', 'status']) {
        const s = $('select[name="' + name + '"]', this.filterForm);
        if (s && s.value !== this.filters[name]) s.value = this.filters[name];
      }
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(this.filters)) if (v && !(k === 'offset' && v === 0)) qs.set(k, v);
      const s = qs.toString();
      history.replaceState(null, '', s ? '#/?' + s : '#/');
      this.poll.now();
    }

    clearFilters() {
      for (const i of $$('input', this.filterForm)) i.value = '';
      this.setFilter({ state: '', status: '', label: '', q: '' });
    }

    async refresh() {
      const f = this.filters;
      const qs = new URLSearchParams();
      if (f.state) qs.append('state', f.state);
      if (f.status) qs.append('status', f.status);
      if (f.label) qs.append('label', f.label);
      if (f.q) qs.append('q', f.q);
      qs.set('limit', String(this.limit));
      qs.set('offset', String(f.offset));
      const data = await api('/runs?' + qs.toString());
      this.render(data || {});
    }

    render(data) {
      const counts = data.counts || {};
      for (const chip of $$('.count', this.counts)) {
        const key = chip.dataset.testid.slice('count-'.length);
        const n = Number(counts[key] || 0);
        chip.dataset.count = String(n);
        $('.n', chip).textContent = String(n);
        chip.classList.toggle('zero', n === 0);
        chip.classList.toggle('active', (key === this.filters.state && !this.filters.status) || key === this.filters.status);
      }

      const runs = Array.isArray(data.runs) ? data.runs : [];
      const seen = new Set();
      runs.forEach((r, i) => {
        const key = r.id ? 'id:' + r.id : 'name:' + r.name + ':' + i;
        seen.add(key);
        let tr = this.rows.get(key);
        if (!tr) {
          tr = h('tr', { 'data-testid': 'run-row', 'data-run-id': r.id || '' });
          if (r.id) {
            tr.classList.add('link');
            tr.addEventListener('click', (e) => {
              if (e.target.closest('a')) return; // the title link navigates by itself
              location.hash = runLink(r.id);
            });
          } else {
            tr.classList.add('unclaimed');
            tr.title = 'Dropped file, not claimed by a worker yet';
          }
          this.rows.set(key, tr);
        }
        this.fillRow(tr, r);
        this.tbody.append(tr); // appending an existing row moves it: this keeps the server's order
      });
      for (const [key, tr] of this.rows) if (!seen.has(key)) { tr.remove(); this.rows.delete(key); }

      const total = Number(data.total != null ? data.total : runs.length);
      const filtered = this.filters.state || this.filters.status || this.filters.label || this.filters.q;
      this.empty.hidden = runs.length > 0;
      this.table.classList.toggle('is-empty', runs.length === 0);
      clear(this.empty);
      if (!runs.length) {
        add(this.empty, filtered ? 'No run matches these filters.' : ['No runs yet. ',
          h('button', { type: 'button', class: 'btn primary', onclick: () => openCreate() }, 'Create a run'),
          ' or drop a job file into the spool\u2019s new/ folder.']);
      }
      const off = this.filters.offset;
      this.pageInfo.textContent = runs.length ? (off + 1) + '–' + (off + runs.length) + ' of ' + total : total + ' runs';
      this.prev.disabled = off === 0;
      this.next.disabled = off + runs.length >= total;
    }

    fillRow(tr, r) {
      tr.dataset.state = r.state || '';
      tr.dataset.status = r.status || '';
      const title = r.title || r.name || r.id || '(untitled)';
      const labels = Array.isArray(r.labels) ? r.labels : [];
      const pm = [r.provider, r.model].filter(Boolean).join(' / ');
      const ageFrom = r.queued_at || r.started_at;
      const cells = [
        h('td', { 'data-label': 'State', class: 'c-state' }, stateBadge(r, 'row-state'),
          r.attempt > 1 ? h('span', { class: 'muted small', title: 'attempt' }, ' #' + r.attempt) : null),
        h('td', { 'data-label': 'Title', class: 'c-title' },
          r.id ? h('a', { href: runLink(r.id), class: 'title', 'data-testid': 'run-link' }, title) : h('span', { class: 'title' }, title),
          labels.map((l) => h('span', { class: 'label' }, str(l))),
          h('div', { class: 'sub mono' }, r.id || r.name || ''),
          r.reason && r.state === 'done' && r.status !== 'succeeded' ? h('div', { class: 'sub reason' }, str(r.reason)) : null),
        h('td', { 'data-label': 'Provider', class: 'c-pm' }, pm || h('span', { class: 'muted' }, 'shell')),
        h('td', { 'data-label': 'Age', class: 'c-age', title: ageFrom ? fmtTime(ageFrom) : null }, fmtAge(ageFrom)),
        h('td', { 'data-label': 'Duration', class: 'c-dur' }, fmtDuration(runDuration(r))),
        h('td', { 'data-label': 'Tokens', class: 'c-tok num' }, fmtTokens(r.tokens)),
      ];
      clear(tr);
      add(tr, cells);
    }
  }

  // ---------------------------------------------------------------- event stream

  // Follows /runs/ID/events as Server-Sent Events over fetch() (EventSource cannot send a token), reconnects
  // with Last-Event-ID after a drop, and never hands the same seq over twice. Falls back to polling the JSON
  // form when the server does not stream.
  class EventStream {
    constructor(runId, handlers) {
      this.runId = runId;
      this.h = handlers;
      this.lastSeq = 0;
      this.stopped = false;
      this.ended = false;
      this.ctl = null;
      this.run();
    }

    stop() { this.stopped = true; if (this.ctl) this.ctl.abort(); clearTimeout(this.watchdog); }

    deliver(events) {
      const fresh = [];
      for (const ev of events) {
        if (!ev || typeof ev !== 'object') continue;
        const seq = Number(ev.seq);
        if (!Number.isFinite(seq) || seq <= this.lastSeq) continue;
        this.lastSeq = seq;
        fresh.push(ev);
      }
      if (fresh.length) this.h.onEvents(fresh);
    }

    async run() {
      let delay = 500;
      while (!this.stopped && !this.ended) {
        try {
          this.h.onStatus(this.lastSeq ? 'reconnecting' : 'connecting');
          const got = await this.connect();
          if (got) delay = 500;
        } catch (e) {
          if (this.stopped) return;
          if (e instanceof ApiError && e.status === 404) { this.h.onStatus('error', 'run not found'); return; }
          this.h.onStatus('error', e.message);
        }
        if (this.stopped || this.ended) break;
        this.h.onStatus('reconnecting');
        await sleep(delay);
        delay = Math.min(delay * 2, 8000);
      }
    }

    async connect() {
      this.ctl = new AbortController();
      const headers = { Accept: 'text/event-stream' };
      if (this.lastSeq) headers['Last-Event-ID'] = String(this.lastSeq);
      const path = '/runs/' + encodeURIComponent(this.runId) + '/events?after=' + this.lastSeq;
      const res = await api(path, { raw: true, headers, signal: this.ctl.signal });
      const type = (res.headers.get('Content-Type') || '').toLowerCase();
      if (!type.includes('text/event-stream')) return this.pollJSON(res);
      this.h.onStatus('live');
      return this.readSSE(res);
    }

    // The server answered with JSON: keep polling it until `finished`.
    async pollJSON(res) {
      this.h.onStatus('polling');
      let body = await res.json();
      for (;;) {
        const list = Array.isArray(body) ? body : (body && body.events) || [];
        this.deliver(list);
        if (list.some((e) => e && e.type === 'finished')) { this.finish({}); return true; }
        if (this.stopped) return true;
        await sleep(LIST_INTERVAL);
        if (this.stopped) return true;
        body = await api('/runs/' + encodeURIComponent(this.runId) + '/events?after=' + this.lastSeq);
      }
    }

    finish(info) {
      if (this.ended) return;
      this.ended = true;
      this.h.onStatus('ended');
      this.h.onEnd(info || {});
    }

    armWatchdog() {
      clearTimeout(this.watchdog);
      // No byte (not even a keepalive comment) for a minute: the connection is dead, start again.
      this.watchdog = setTimeout(() => { if (this.ctl) this.ctl.abort(); }, 60000);
    }

    async readSSE(res) {
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = '', data = [], type = '', gotAny = false;
      const dispatch = (batch) => {
        if (!data.length) { type = ''; return; }
        const payload = data.join('\n');
        const t = type || 'message';
        data = []; type = '';
        if (t === 'end') {
          let info = {};
          try { info = JSON.parse(payload); } catch (_) { /* keep {} */ }
          batch.end = info;
          return;
        }
        try { batch.push(JSON.parse(payload)); } catch (_) { /* a line that is not JSON: skip it */ }
      };
      this.armWatchdog();
      try {
        for (;;) {
          let chunk;
          try { chunk = await reader.read(); } catch (e) { if (this.stopped) return gotAny; throw e; }
          if (chunk.done) break;
          this.armWatchdog();
          buf += dec.decode(chunk.value, { stream: true });
          const batch = [];
          let m;
          const re = /\r\n|\r|\n/g;
          let start = 0;
          while ((m = re.exec(buf))) {
            if (m[0] === '\r' && m.index === buf.length - 1) break; // maybe half of a CRLF
            const line = buf.slice(start, m.index);
            start = m.index + m[0].length;
            if (line === '') { dispatch(batch); continue; }
            if (line[0] === ':') continue; // comment (keepalive)
            const c = line.indexOf(':');
            const field = c < 0 ? line : line.slice(0, c);
            let value = c < 0 ? '' : line.slice(c + 1);
            if (value[0] === ' ') value = value.slice(1);
            if (field === 'data') data.push(value);
            else if (field === 'event') type = value;
            // `id` is the seq, which the event JSON carries as well; `retry` is ignored (we back off ourselves).
          }
          buf = buf.slice(start);
          if (batch.length) { gotAny = true; this.deliver(batch); }
          if (batch.end) { this.finish(batch.end); try { reader.cancel(); } catch (_) { /* closed */ } return true; }
        }
      } finally {
        clearTimeout(this.watchdog);
      }
      return gotAny;
    }
  }

  // ---------------------------------------------------------------- event rendering

  function kv(label, value, cls) {
    if (value == null || value === '') return null;
    return h('span', { class: 'kv ' + (cls || '') }, h('span', { class: 'k' }, label), ' ', h('span', { class: 'v' }, String(value)));
  }

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

  function okBadge(ok, yes, no) {
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

  function filesList(files) {
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
    queued: (e) => ['Queued as ', h('strong', null, str(e.name)),
      e.by ? [' by ', h('span', { class: 'mono' }, str(e.by))] : null,
      e.previous ? [' · retry of ', h('a', { href: runLink(str(e.previous)), class: 'mono' }, short(str(e.previous)) + '…')] : null],
    claimed: (e) => ['Claimed by ', h('span', { class: 'mono' }, str(e.worker)), ' · attempt ', str(e.attempt),
      e.host ? ' · ' + str(e.host) + (e.pid ? ' pid ' + e.pid : '') : null],
    heartbeat: (e) => h('span', { class: 'muted' }, 'heartbeat · ' + fmtDuration(e.elapsed) + ' in'),
    requeued: (e) => ['Requeued: ', h('strong', null, str(e.reason)), e.next_attempt ? ' · next attempt ' + e.next_attempt : null],
    retried: (e) => ['Retried as ', e.next ? h('a', { href: runLink(str(e.next)), class: 'mono' }, str(e.next)) : '?'],
    started: (e) => [h('strong', null, 'Started'), e.title ? [' ', h('span', null, '\u201c' + str(e.title) + '\u201d')] : null,
      ' · attempt ' + str(e.attempt) + ' · ' + str(e.steps) + ' step' + (e.steps === 1 ? '' : 's'),
      e.priority ? ' · priority ' + e.priority : null,
      Array.isArray(e.labels) ? e.labels.map((l) => h('span', { class: 'label' }, str(l))) : null,
      e.workspace ? h('div', { class: 'sub mono' }, str(e.workspace)) : null],
    'step.started': (e) => [h('strong', null, 'Step ' + str(e.step) + ': ' + str(e.name)),
      e.kind === 'agent' || e.provider ? ' · agent ' + [e.provider, e.model].filter(Boolean).map(str).join(' / ') : null,
      e.command != null ? foldable(e.command, 'cmd', 6) : null],
    'step.output': (e) => pre(e.text, 'stream-' + str(e.stream)),
    'step.finished': (e) => [okBadge(e.ok), ' ', h('strong', null, 'Step ' + str(e.step) + (e.name ? ': ' + str(e.name) : '')),
      ' · ', str(e.outcome || e.error || ''), e.duration != null ? ' · ' + fmtDuration(e.duration) : null,
      e.stdout_bytes != null ? h('span', { class: 'muted' }, ' · stdout ' + fmtBytes(e.stdout_bytes) + (e.stdout_truncated ? ' (events hold the first part; the artifact has all)' : '') +
        ', stderr ' + fmtBytes(e.stderr_bytes) + (e.stderr_truncated ? ' (events hold the first part; the artifact has all)' : '')) : null,
      e.answer ? foldable(e.answer, 'answer prose', 10) : null],
    paused: (e) => [h('strong', null, 'Paused'), stepRef(e) ? ' · ' + stepRef(e) : null],
    resumed: (e) => [h('strong', null, 'Resumed'), stepRef(e) ? ' · ' + stepRef(e) : null],
    'stop.requested': (e) => [h('strong', null, 'Stop requested'), stepRef(e) ? ' · ' + stepRef(e) : ' before the run started'],
    error: (e) => h('span', { class: 'err' }, str(e.message)),
    'agent.started': (e) => [h('strong', null, 'Agent'), ' ', [e.provider, e.model].filter(Boolean).map(str).join(' / '),
      e.tool_mode ? ' · tools ' + str(e.tool_mode) : null, e.max_steps ? ' · max ' + e.max_steps + ' turns' : null,
      Array.isArray(e.tools) ? h('div', { class: 'sub' }, e.tools.map((t) => h('span', { class: 'label mono' }, str(t)))) : null,
      e.prompt != null ? foldable(e.prompt, 'prose', 8) : null],
    'agent.resumed': (e) => [h('strong', null, 'Agent resumed'),
      e.already_finished ? ' · already finished' : ' · ' + str(e.turns) + ' turns rebuilt',
      Array.isArray(e.interrupted_calls) && e.interrupted_calls.length ? ' · ' + e.interrupted_calls.length + ' interrupted tool calls' : null],
    'llm.request': (e) => h('span', { class: 'muted' }, 'turn ' + str(e.turn) + ' → ' + [e.provider, e.model].filter(Boolean).map(str).join(' / ') +
      (e.messages != null ? ' · ' + e.messages + ' messages' : '')),
    'llm.retry': (e) => h('span', { class: 'warn' }, 'retrying ' + str(e.provider) + ' after attempt ' + str(e.attempt) +
      (e.status ? ' (HTTP ' + e.status + ')' : '') + ' in ' + str(e.delay_ms) + ' ms: ' + str(e.message)),
    'llm.response': (e) => {
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
    'llm.error': (e) => h('span', { class: 'err' }, str(e.provider) + (e.status ? ' HTTP ' + e.status : '') + ': ' + str(e.message)),
    'tool.call': (e) => h('div', { class: 'toolcall' }, h('span', { class: 'tool-name mono' }, str(e.name) + '('),
      foldable(prettyArgs(e.arguments), 'args', 8), h('span', { class: 'tool-name mono' }, ')')),
    'tool.result': (e) => [okBadge(e.ok, 'ok', 'error'), ' ', h('span', { class: 'tool-name mono' }, str(e.name)),
      e.bytes != null ? h('span', { class: 'muted' }, ' · ' + fmtBytes(e.bytes) + (e.artifact ? ' in ' + str(e.artifact) : '')) : null,
      foldable(e.content, 'result', 12)],
    'git.branch': (e) => ['Branch ', h('span', { class: 'mono' }, str(e.branch)), e.base ? [' from ', h('span', { class: 'mono' }, short(e.base))] : null,
      e.worktree ? h('div', { class: 'sub mono' }, str(e.worktree)) : null],
    'git.commit': (e) => [h('strong', null, 'Commit '), h('span', { class: 'mono sha', title: str(e.sha) }, short(e.sha)),
      e.branch ? [' on ', h('span', { class: 'mono' }, str(e.branch))] : null,
      e.step != null ? ' · step ' + e.step : null, e.turn != null ? ' turn ' + e.turn : (e.step == null ? ' · final' : null),
      filesList(e.files)],
    'git.error': (e) => h('span', { class: 'err' }, 'git: ' + str(e.message)),
    rejected: (e) => [h('strong', { class: 'err' }, 'Rejected'), ' · ', h('span', { class: 'mono' },
      str(e.file) + (e.line ? ':' + e.line + (e.column ? ':' + e.column : '') : '')), ': ', str(e.message),
      e.expected ? ' (expected: ' + str(e.expected) + ')' : null, h('span', { class: 'muted' }, ' [' + str(e.reason) + ']')],
    finished: (e) => [h('strong', null, 'Finished '), h('span', { class: 'badge b-' + str(e.status) }, str(e.status)),
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

  function renderEvent(e) {
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

  // ---------------------------------------------------------------- diff rendering

  function diffLineClass(line, inHunk) {
    if (line.startsWith('diff --git') || line.startsWith('diff --cc')) return 'd-file';
    if (!inHunk && (line.startsWith('--- ') || line.startsWith('+++ ') || line.startsWith('index ') ||
        line.startsWith('new file') || line.startsWith('deleted file') || line.startsWith('similarity') ||
        line.startsWith('rename ') || line.startsWith('old mode') || line.startsWith('new mode') || line.startsWith('Binary files'))) return 'd-meta';
    if (line.startsWith('@@')) return 'd-hunk';
    if (line.startsWith('+')) return 'd-add';
    if (line.startsWith('-')) return 'd-del';
    if (line.startsWith('\\')) return 'd-note';
    return 'd-ctx';
  }

  function renderDiff(text) {
    const lines = text.split('\n');
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    const out = h('pre', { class: 'diff-body' });
    const files = [];
    let inHunk = false, cur = null;
    for (const line of lines) {
      if (line.startsWith('diff ')) inHunk = false;
      const cls = diffLineClass(line, inHunk);
      if (cls === 'd-hunk') inHunk = true;
      if (cls === 'd-file') {
        const m = line.match(/ b\/(.*)$/);
        cur = { name: m ? m[1] : line.slice(11), add: 0, del: 0 };
        files.push(cur);
      } else if (cls === 'd-meta' && line.startsWith('+++ ') && !cur) {
        cur = { name: line.slice(4).replace(/^b\//, ''), add: 0, del: 0 };
        files.push(cur);
      } else if (cur && cls === 'd-add') cur.add++;
      else if (cur && cls === 'd-del') cur.del++;
      out.append(h('span', { class: 'dl ' + cls }, line + '\n'));
    }
    const summary = h('ul', { class: 'diff-files' }, files.map((f) => h('li', null,
      h('span', { class: 'mono' }, f.name), ' ', h('span', { class: 'd-add-n' }, '+' + f.add), ' ', h('span', { class: 'd-del-n' }, '−' + f.del))));
    return h('div', { class: 'diff' }, files.length ? summary : null,
      lines.length ? out : h('p', { class: 'muted' }, 'The diff is empty.'));
  }

  // ---------------------------------------------------------------- artifacts

  function artifactPath(runId, path) {
    return '/runs/' + encodeURIComponent(runId) + '/artifacts/' + String(path).split('/').map(encodeURIComponent).join('/');
  }

  let viewerURL = null;
  async function openArtifact(runId, path) {
    const overlay = $('#viewer-overlay');
    const body = clear($('#viewer-body'));
    $('#viewer-title').textContent = path;
    const dl = $('#viewer-download');
    dl.removeAttribute('href');
    dl.setAttribute('download', String(path).split('/').pop());
    overlay.hidden = false;
    body.append(h('p', { class: 'muted' }, 'Loading…'));
    try {
      const res = await api(artifactPath(runId, path), { raw: true });
      const blob = await res.blob();
      if (viewerURL) URL.revokeObjectURL(viewerURL);
      viewerURL = URL.createObjectURL(blob);
      dl.href = viewerURL;
      let text = await blob.slice(0, MAX_VIEW_BYTES).text();
      clear(body);
      if (blob.size > MAX_VIEW_BYTES) body.append(h('p', { class: 'muted' }, 'Showing the first ' + fmtBytes(MAX_VIEW_BYTES) + ' of ' + fmtBytes(blob.size) + '; download it for the rest.'));
      if (/\.(diff|patch)$/.test(path)) body.append(renderDiff(text));
      else body.append(h('pre', { class: 'out viewer-text', 'data-testid': 'artifact-text' }, text || '(empty)'));
    } catch (e) {
      clear(body).append(h('p', { class: 'err' }, 'Could not load ' + path + ': ' + e.message));
    }
  }

  function closeViewer() {
    $('#viewer-overlay').hidden = true;
    clear($('#viewer-body'));
    if (viewerURL) { URL.revokeObjectURL(viewerURL); viewerURL = null; }
  }

  // ---------------------------------------------------------------- run detail

  class DetailView {
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
        r = await api('/runs/' + encodeURIComponent(this.id));
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
      const running = r.state === 'running', queued = r.state === 'queued', done = r.state === 'done';
      const busy = !!this.busy;
      b.pause.disabled = busy || !(running && !r.paused);
      b.resume.disabled = busy || !(running && r.paused);
      b.stop.disabled = busy || !((running || queued) && !r.stop_requested) || !r.id;
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
        const res = await api('/runs/' + encodeURIComponent(this.run.id) + '/' + name, { method: 'POST' });
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
        if (e.type !== 'step.output' && e.type !== 'heartbeat' && e.type !== 'llm.request') headChange = true;
        if (e.type === 'step.finished' || e.type === 'finished' || e.type === 'git.commit' || e.type === 'tool.result') artChange = true;
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
        data = await api('/runs/' + encodeURIComponent(this.id) + '/artifacts');
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

  // ---------------------------------------------------------------- create-run modal

  let mode = 'form';
  let lastFocus = null;

  function setFieldError(root, field, message) {
    const el = $('[data-testid="field-error"][data-field="' + field + '"]', root);
    if (!el) return false;
    el.textContent = message || '';
    el.hidden = !message;
    const input = el.parentNode && $('input, textarea, select', el.parentNode);
    if (input && field !== 'general') {
      if (message) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
    }
    return true;
  }

  function clearErrors(root) {
    for (const el of $$('[data-testid="field-error"]', root)) { el.hidden = true; el.textContent = ''; }
    for (const el of $$('[aria-invalid]', root)) el.removeAttribute('aria-invalid');
  }

  function setMode(m) {
    mode = m;
    $('#pane-form').hidden = m !== 'form';
    $('#pane-yaml').hidden = m !== 'yaml';
    $('#mode-form').classList.toggle('active', m === 'form');
    $('#mode-yaml').classList.toggle('active', m === 'yaml');
    $('#mode-form').setAttribute('aria-selected', String(m === 'form'));
    $('#mode-yaml').setAttribute('aria-selected', String(m === 'yaml'));
    clearErrors($('#run-form'));
    if (m === 'yaml') {
      const ta = $('#f-yaml');
      if (!ta.value.trim() && $('#f-prompt').value.trim()) ta.value = formToYAML(formValues());
      ta.focus();
    }
  }

  function formValues() {
    const v = {
      title: $('#f-title').value.trim(),
      provider: $('#f-provider').value,
      model: $('#f-model').value.trim(),
      workspace: $('#f-workspace').value.trim(),
      prompt: $('#f-prompt').value,
      tools: $$('input[name="tools"]:checked').map((c) => c.value),
    };
    return v;
  }

  function formJob(v) {
    const job = {};
    if (v.title) job.title = v.title;
    if (v.workspace) job.workspace = v.workspace;
    const agent = {};
    if (v.provider) agent.provider = v.provider;
    if (v.model) agent.model = v.model;
    agent.prompt = v.prompt;
    agent.tools = v.tools;
    job.agent = agent;
    return job;
  }

  // JSON strings are valid YAML double-quoted scalars, so this is a safe YAML rendering of the form.
  function formToYAML(v) {
    const q = (s) => JSON.stringify(s);
    const lines = [];
    if (v.title) lines.push('title: ' + q(v.title));
    if (v.workspace) lines.push('workspace: ' + q(v.workspace));
    lines.push('agent:');
    if (v.provider) lines.push('  provider: ' + v.provider);
    if (v.model) lines.push('  model: ' + q(v.model));
    lines.push('  prompt: ' + q(v.prompt));
    lines.push('  tools: [' + v.tools.join(', ') + ']');
    return lines.join('\n') + '\n';
  }

  function checkForm(v, root) {
    let ok = true;
    if (!v.prompt.trim()) { setFieldError(root, 'prompt', 'A prompt is required.'); ok = false; }
    if (/^(\/|~|[A-Za-z]:[\\/]|\\\\)/.test(v.workspace)) {
      setFieldError(root, 'workspace', 'The workspace must be relative to the spool (no leading / or ~).'); ok = false;
    }
    if (/\s/.test(v.model)) { setFieldError(root, 'model', 'A model name has no spaces.'); ok = false; }
    if (v.provider === 'scripted') {
      setFieldError(root, 'provider', 'The scripted provider replays a `script:` of turns, which this form cannot write: use Raw YAML.');
      ok = false;
    }
    return ok;
  }

  // Which form field a server error's `path` names.
  function fieldForPath(path) {
    if (!path) return null;
    const p = String(path).replace(/^agent\./, '').replace(/^steps\[0\]\.agent\./, '');
    const head = p.split(/[.[]/)[0];
    return ['title', 'workspace', 'provider', 'model', 'prompt', 'tools'].includes(head) ? head : null;
  }

  // The server's message may repeat what the structured fields say ("api.yaml:4:5: … (expected: …)"):
  // keep the words, and show the position and `expected` once.
  function bareMessage(d) {
    let m = String(d.message || '');
    if (d.line) {
      const pos = ':' + d.line + (d.column ? ':' + d.column : '') + ': ';
      const file = d.file != null ? String(d.file) : null;
      if (file && m.startsWith(file + pos)) m = m.slice(file.length + pos.length);
      else m = m.replace(/^[^\n]*?:\d+(:\d+)?: /, '');
    }
    if (d.expected) {
      const suffix = ' (expected: ' + d.expected + ')';
      if (m.endsWith(suffix)) m = m.slice(0, -suffix.length);
    }
    return m;
  }

  function serverErrorText(d, withPos) {
    let t = '';
    if (withPos && d.line) t += 'line ' + d.line + (d.column ? ', column ' + d.column : '') + ': ';
    t += bareMessage(d) || 'The server refused the job.';
    if (d.expected) t += ' (expected: ' + d.expected + ')';
    return t;
  }

  function selectLine(ta, line, column) {
    const lines = ta.value.split('\n');
    if (!line || line > lines.length) return;
    let start = 0;
    for (let i = 0; i < line - 1; i++) start += lines[i].length + 1;
    const end = start + lines[line - 1].length;
    ta.focus();
    try { ta.setSelectionRange(column ? Math.min(start + column - 1, end) : start, end); } catch (_) { /* ignore */ }
    // Scroll the line into view.
    const lh = parseFloat(getComputedStyle(ta).lineHeight) || 18;
    ta.scrollTop = Math.max(0, (line - 3) * lh);
  }

  async function submitRun(e) {
    e.preventDefault();
    const form = $('#run-form');
    clearErrors(form);
    const submit = $('#submit-run');
    let body, type, query = '';
    if (mode === 'form') {
      const v = formValues();
      if (!checkForm(v, form)) return;
      body = JSON.stringify(formJob(v));
      type = 'application/json';
    } else {
      let text = $('#f-yaml').value;
      if (!text.trim()) { setFieldError(form, 'yaml', 'The job is empty: write a YAML job first.'); return; }
      if (!text.endsWith('\n')) text += '\n'; // job files must end with a newline
      if (new Blob([text]).size > 1 << 20) { setFieldError(form, 'yaml', 'The job is larger than 1 MiB.'); return; }
      const name = $('#f-name').value.trim();
      if (name && /[/\\]/.test(name)) { setFieldError(form, 'general', 'The display name cannot contain a slash.'); return; }
      if (name) query = '?name=' + encodeURIComponent(name);
      body = text;
      type = 'application/yaml';
    }
    submit.disabled = true;
    submit.textContent = 'Creating…';
    try {
      const res = await api('/runs' + query, { method: 'POST', body, headers: { 'Content-Type': type } });
      closeCreate(true);
      if (res && res.id) location.hash = runLink(res.id);
      else { showBanner('Queued ' + (res && res.name || 'the job') + '.', 'info'); location.hash = '#/'; }
    } catch (err) {
      const d = err.detail || {};
      if (err.status === 422) {
        if (mode === 'yaml') {
          setFieldError(form, 'yaml', serverErrorText(d, true));
          if (d.line) selectLine($('#f-yaml'), d.line, d.column);
        } else {
          const field = fieldForPath(d.path);
          if (!(field && setFieldError(form, field, serverErrorText(d, false)))) {
            setFieldError(form, 'general', (d.path ? d.path + ': ' : '') + serverErrorText(d, false));
          }
        }
      } else if (err.status === 413) {
        setFieldError(form, mode === 'yaml' ? 'yaml' : 'general', 'The job is larger than the server accepts (1 MiB).');
      } else {
        setFieldError(form, 'general', 'Could not create the run: ' + err.message);
      }
    } finally {
      submit.disabled = false;
      submit.textContent = 'Create run';
    }
  }

  function openCreate() {
    lastFocus = document.activeElement;
    $('#modal-overlay').hidden = false;
    clearErrors($('#run-form'));
    setMode(mode);
    (mode === 'yaml' ? $('#f-yaml') : $('#f-title')).focus();
  }

  function closeCreate(reset) {
    $('#modal-overlay').hidden = true;
    if (reset) {
      $('#run-form').reset();
      clearErrors($('#run-form'));
    }
    if (lastFocus && lastFocus.focus) lastFocus.focus();
  }

  function initModal() {
    $('#create-run').addEventListener('click', openCreate);
    $('#modal-close').addEventListener('click', () => closeCreate(false));
    $('#modal-cancel').addEventListener('click', () => closeCreate(false));
    $('#mode-form').addEventListener('click', () => setMode('form'));
    $('#mode-yaml').addEventListener('click', () => setMode('yaml'));
    $('#run-form').addEventListener('submit', submitRun);
    // Ctrl/Cmd+Enter submits from the textareas.
    $('#run-form').addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $('#run-form').requestSubmit(); }
    });
    // A field's error goes away once it is edited.
    $('#run-form').addEventListener('input', (e) => {
      const err = e.target.closest('.field') && $('[data-testid="field-error"]', e.target.closest('.field'));
      if (err && !err.hidden) { err.hidden = true; e.target.removeAttribute('aria-invalid'); }
    });
    $('#viewer-close').addEventListener('click', closeViewer);
    document.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      if (!$('#viewer-overlay').hidden) closeViewer();
      else if (!$('#modal-overlay').hidden) closeCreate(false);
    });
  }

  // ---------------------------------------------------------------- start

  function start() {
    initTokenForm();
    initModal();
    window.addEventListener('hashchange', route);
    route();
    // Age and live-duration cells tick between list polls too.
    poller(refreshStatus, STATUS_INTERVAL);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
