// The create-run dialog: a form for one agent step (sent as JSON) or raw YAML, with the server's
// 422 errors shown under the field they name.
import { $, $$, clearErrors, runLink, setFieldError } from './dom.js';
import { api } from './api.js';
import { showBanner } from './banner.js';
import { loadCapabilities } from './capabilities.js';

// Which pane is shown ('form' or 'yaml'), kept while the dialog is closed; and what had focus before it opened.
let mode = 'form';
let lastFocus = null;

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

export async function openCreate() {
  lastFocus = document.activeElement;
  try {
    await loadCapabilities();
  } catch (err) {
    showBanner('Cannot load the providers and tools this server offers: ' + err.message, 'error');
    return;
  }
  $('#modal-overlay').hidden = false;
  clearErrors($('#run-form'));
  setMode(mode);
  (mode === 'yaml' ? $('#f-yaml') : $('#f-title')).focus();
}

export function closeCreate(reset) {
  $('#modal-overlay').hidden = true;
  if (reset) {
    $('#run-form').reset();
    clearErrors($('#run-form'));
  }
  if (lastFocus && lastFocus.focus) lastFocus.focus();
}

export function createOpen() { return !$('#modal-overlay').hidden; }

export function initCreate() {
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
}
