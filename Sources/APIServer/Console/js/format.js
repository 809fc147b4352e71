// How times, sizes and run states read on the page.
import { h } from './dom.js';

// Server time minus browser time, set from /status, so ages and live durations use the server's clock.
let clockSkew = 0;
export function setServerTime(iso) {
  const t = Date.parse(iso);
  if (!isNaN(t)) clockSkew = t - Date.now();
}
const now = () => Date.now() + clockSkew;

export function fmtDuration(sec) {
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

export function fmtAge(iso) {
  const t = Date.parse(iso);
  if (!iso || isNaN(t)) return '—';
  const sec = Math.max(0, (now() - t) / 1000);
  if (sec < 60) return Math.floor(sec) + 's ago';
  if (sec < 3600) return Math.floor(sec / 60) + 'm ago';
  if (sec < 86400 * 2) return Math.floor(sec / 3600) + 'h ago';
  return Math.floor(sec / 86400) + 'd ago';
}

export function fmtTime(iso) {
  const t = Date.parse(iso);
  if (!iso || isNaN(t)) return '—';
  return new Date(t).toLocaleString();
}

export function fmtClock(iso) {
  const t = Date.parse(iso);
  if (!iso || isNaN(t)) return '';
  const d = new Date(t);
  const p = (n, w) => String(n).padStart(w || 2, '0');
  return p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds()) + '.' + p(d.getMilliseconds(), 3);
}

export function fmtTokens(n) {
  if (!n) return '—';
  if (n < 1000) return String(n);
  if (n < 1e6) return (n / 1000).toFixed(n < 1e4 ? 1 : 0) + 'k';
  return (n / 1e6).toFixed(n < 1e7 ? 2 : 1) + 'M';
}

export function fmtBytes(n) {
  if (n == null) return '';
  if (n < 1024) return n + ' B';
  if (n < 1 << 20) return (n / 1024).toFixed(1) + ' KiB';
  return (n / (1 << 20)).toFixed(1) + ' MiB';
}

export function runDuration(r) {
  if (r.duration != null) return r.duration;
  if (r.state === 'running' && r.started_at) return (now() - Date.parse(r.started_at)) / 1000;
  return null;
}

// What a run's badge says, and its colour class.
export function runLabel(r) {
  if (r.state === 'done') return r.status || 'done';
  if (r.state === 'running') {
    if (r.stop_requested) return 'stopping';
    if (r.paused) return 'paused';
    return 'running';
  }
  if (r.state === 'queued' && r.stop_requested) return 'stopping';
  return r.state || 'unknown';
}

export function stateBadge(r, testid) {
  const label = runLabel(r);
  return h('span', {
    class: 'badge b-' + label, 'data-testid': testid || null,
    'data-state': r.state || '', 'data-status': r.status || '', 'data-paused': r.paused ? 'true' : 'false',
    'data-display': label,
  }, label);
}
