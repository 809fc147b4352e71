// The API token: kept in localStorage, asked for in the token dialog when the server answers 401.
import { $, setFieldError } from './dom.js';

const TOKEN_KEY = 'agentRunnerToken';

// Callers of askToken() waiting for the dialog to be submitted; null while it is closed.
let waiters = null;

export function savedToken() { try { return localStorage.getItem(TOKEN_KEY) || ''; } catch (_) { return ''; } }

// Opens the dialog (once, however many calls wait) and resolves when a token has been saved.
export function askToken(message) {
  const overlay = $('#token-overlay');
  const msg = $('#token-msg');
  msg.textContent = message || 'This server needs an API token. It is kept in this browser\u2019s local storage.';
  if (!waiters) {
    waiters = [];
    overlay.hidden = false;
    const input = $('#token-input');
    input.value = '';
    setFieldError($('#token-form'), 'token', null);
    setTimeout(() => input.focus(), 0);
  }
  return new Promise((resolve) => waiters.push(resolve));
}

// `onChange` runs after the user replaced the token from the top bar's Token button.
export function initTokenForm(onChange) {
  const form = $('#token-form');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = $('#token-input').value.trim();
    if (!v) { setFieldError(form, 'token', 'Enter the token.'); return; }
    try { localStorage.setItem(TOKEN_KEY, v); } catch (_) { /* private mode: kept for this call only */ }
    $('#token-overlay').hidden = true;
    const done = waiters || [];
    waiters = null;
    done.forEach((r) => r());
  });
  $('#change-token').addEventListener('click', () => {
    askToken('Enter a new API token.').then(onChange);
  });
}
