// The runs list (#/ and #/?filters): counts, filters, a table kept in the server's order, paging.
import { $, $$, add, clear, h, runLink, str } from './dom.js';
import { fmtAge, fmtDuration, fmtTime, fmtTokens, runDuration, stateBadge } from './format.js';
import { api } from './api.js';
import { poller } from './banner.js';
import { openCreate } from './create.js';

const LIST_INTERVAL = 1500;
const STATES = ['queued', 'running', 'waiting', 'done'];
const STATUSES = ['succeeded', 'failed', 'stopped', 'rejected'];

export class DashboardView {
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
      countChip('waiting', { state: 'waiting', status: '' }),
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
