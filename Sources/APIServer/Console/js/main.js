// Agent Runner web console: plain browser JavaScript modules, no dependencies, no build step.
// This one routes `#/…` to a view and wires the dialogs; each module holds its own state.
import { $, clear, h } from './dom.js';
import { poller } from './banner.js';
import { initTokenForm } from './token.js';
import { refreshStatus } from './status.js';
import { DashboardView } from './dashboard.js';
import { DetailView } from './detail.js';
import { closeCreate, createOpen, initCreate } from './create.js';
import { closeViewer, initViewer, viewerOpen } from './artifacts.js';

const STATUS_INTERVAL = 5000;

// The view on the page; replaced (and its pollers and stream stopped) on every hash change.
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

function start() {
  initTokenForm(route);
  initCreate();
  initViewer();
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    if (viewerOpen()) closeViewer();
    else if (createOpen()) closeCreate(false);
  });
  window.addEventListener('hashchange', route);
  route();
  // Age and live-duration cells tick between list polls too.
  poller(refreshStatus, STATUS_INTERVAL);
}

// Module scripts run after the document is parsed, like `defer`.
start();
