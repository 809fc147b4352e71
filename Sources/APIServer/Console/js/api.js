// The HTTP API under /api/v1: one fetch wrapper that adds the token and turns error bodies into ApiError.
import { askToken, savedToken } from './token.js';

const API = '/api/v1';

export class ApiError extends Error {
  constructor(status, body, text) {
    const err = body && body.error ? body.error : null;
    super(err && err.message ? err.message : ('HTTP ' + status + (text ? ': ' + text.slice(0, 200) : '')));
    this.status = status;
    this.code = err ? err.code : null;
    this.detail = err || {};
  }
}

// Every /api call goes through here: it adds the token, and on 401 asks for one and tries again.
// With `raw` a successful Response is returned as it is (streams, artifacts); otherwise its JSON.
export async function api(path, opts) {
  opts = opts || {};
  for (;;) {
    const headers = Object.assign({}, opts.headers || {});
    const tok = savedToken();
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

export const runPath = (id) => '/runs/' + encodeURIComponent(id);

export function artifactPath(runId, path) {
  return runPath(runId) + '/artifacts/' + String(path).split('/').map(encodeURIComponent).join('/');
}
