// The banner under the top bar: passing notices, and a sticky one while the server cannot be reached.
import { $ } from './dom.js';
import { ApiError } from './api.js';

let hideTimer = null;
let connectionDown = false;

export function showBanner(text, kind) {
  const b = $('#banner');
  b.textContent = text;
  b.className = 'banner ' + (kind || 'error');
  b.hidden = false;
  clearTimeout(hideTimer);
  if (kind !== 'sticky') hideTimer = setTimeout(() => { b.hidden = true; }, 8000);
}

export function connectionFailed(err) {
  if (err && err.name === 'AbortError') return;
  connectionDown = true;
  const text = err instanceof ApiError ? err.message : 'Cannot reach the server (' + (err && err.message || err) + ').';
  showBanner(text, 'sticky');
}

export function connectionOK() {
  if (connectionDown) { connectionDown = false; $('#banner').hidden = true; }
}

// Runs fn now and every `interval` ms while the tab is visible; stops with stop(). A failure shows in
// the banner until a later call succeeds.
export function poller(fn, interval) {
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
