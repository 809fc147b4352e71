// A run's event stream: /runs/ID/events as Server-Sent Events over fetch(), or polled JSON.
import { sleep } from './dom.js';
import { ApiError, api, runPath } from './api.js';
import { EV } from './events.js';

const POLL_INTERVAL = 1500;

// Follows /runs/ID/events as Server-Sent Events over fetch() (EventSource cannot send a token), reconnects
// with Last-Event-ID after a drop, and never hands the same seq over twice. Falls back to polling the JSON
// form when the server does not stream.
export class EventStream {
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
    const path = runPath(this.runId) + '/events?after=' + this.lastSeq;
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
      if (list.some((e) => e && e.type === EV.finished)) { this.finish({}); return true; }
      if (this.stopped) return true;
      await sleep(POLL_INTERVAL);
      if (this.stopped) return true;
      body = await api(runPath(this.runId) + '/events?after=' + this.lastSeq);
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
