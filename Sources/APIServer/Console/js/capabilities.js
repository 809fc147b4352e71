// What this server's jobs may name (GET /api/v1/capabilities): the create form's provider list and tool
// checkboxes are built from it, so the console never offers a name the server would refuse.
import { $, h } from './dom.js';
import { api } from './api.js';

let loaded = null;

// Fills the form once; later calls wait for the same load. A failed load is tried again next time.
export function loadCapabilities() {
  if (!loaded) {
    loaded = api('/capabilities').then(fill, (err) => { loaded = null; throw err; });
  }
  return loaded;
}

function fill(caps) {
  const select = $('#f-provider');
  for (const p of caps.providers || []) select.append(h('option', { value: p.name, text: p.name }));
  const tools = $('#tools-list');
  for (const t of caps.tools || []) {
    const box = h('input', { type: 'checkbox', name: 'tools', value: t.name });
    // defaultChecked too: the form's reset() goes back to it.
    box.defaultChecked = box.checked = !!t.default;
    tools.append(h('label', { title: t.description }, box, ' ' + t.name, t.network ? [' ', h('span', { class: 'hint', text: '(network)' })] : null));
  }
}
