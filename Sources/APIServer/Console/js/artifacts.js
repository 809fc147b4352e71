// The artifact viewer dialog: one file of a run, as text or as a diff, with a download link.
import { $, clear, h } from './dom.js';
import { fmtBytes } from './format.js';
import { api, artifactPath } from './api.js';
import { renderDiff } from './diff.js';

export const MAX_VIEW_BYTES = 2 << 20; // artifact text shown on the page

// The object URL behind the Download link of the open viewer, revoked when it closes.
let viewerURL = null;

export async function openArtifact(runId, path) {
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
    const text = await blob.slice(0, MAX_VIEW_BYTES).text();
    clear(body);
    if (blob.size > MAX_VIEW_BYTES) body.append(h('p', { class: 'muted' }, 'Showing the first ' + fmtBytes(MAX_VIEW_BYTES) + ' of ' + fmtBytes(blob.size) + '; download it for the rest.'));
    if (/\.(diff|patch)$/.test(path)) body.append(renderDiff(text));
    else body.append(h('pre', { class: 'out viewer-text', 'data-testid': 'artifact-text' }, text || '(empty)'));
  } catch (e) {
    clear(body).append(h('p', { class: 'err' }, 'Could not load ' + path + ': ' + e.message));
  }
}

export function viewerOpen() { return !$('#viewer-overlay').hidden; }

export function closeViewer() {
  $('#viewer-overlay').hidden = true;
  clear($('#viewer-body'));
  if (viewerURL) { URL.revokeObjectURL(viewerURL); viewerURL = null; }
}

export function initViewer() {
  $('#viewer-close').addEventListener('click', closeViewer);
}
