// DOM helpers. Everything that comes from the server is untrusted: it only ever reaches the page as text
// nodes, attribute values or `#/…` links built here, never as HTML.

// An element with properties (`class`, `text`, `on…` listeners, boolean properties, attributes) and children.
export function h(tag, props, ...kids) {
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

// Appends children, nested lists flattened; strings become text nodes, null, false and '' are skipped.
export function add(el, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k == null || k === false || k === '') continue;
    el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return el;
}

export function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
export const $ = (sel, root) => (root || document).querySelector(sel);
export const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
export const runLink = (id) => '#/runs/' + encodeURIComponent(id);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const short = (sha) => (typeof sha === 'string' ? sha.slice(0, 10) : '');
export const str = (v) => (v == null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

// Shows (or with no message hides) the error under a form field, marking its input invalid.
export function setFieldError(root, field, message) {
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

export function clearErrors(root) {
  for (const el of $$('[data-testid="field-error"]', root)) { el.hidden = true; el.textContent = ''; }
  for (const el of $$('[aria-invalid]', root)) el.removeAttribute('aria-invalid');
}
