// The top bar's health indicators: workers alive and the configured services, from /status.
import { $, add, clear, h, str } from './dom.js';
import { fmtTime, setServerTime } from './format.js';
import { api } from './api.js';

function renderStatus(st) {
  if (st.generated_at) setServerTime(st.generated_at);
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

export async function refreshStatus() { renderStatus(await api('/status')); }
