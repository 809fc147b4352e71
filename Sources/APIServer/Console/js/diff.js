// A unified diff (patch.diff) as coloured lines with a per-file summary of added and removed lines.
import { h } from './dom.js';

function diffLineClass(line, inHunk) {
  if (line.startsWith('diff --git') || line.startsWith('diff --cc')) return 'd-file';
  if (!inHunk && (line.startsWith('--- ') || line.startsWith('+++ ') || line.startsWith('index ') ||
      line.startsWith('new file') || line.startsWith('deleted file') || line.startsWith('similarity') ||
      line.startsWith('rename ') || line.startsWith('old mode') || line.startsWith('new mode') || line.startsWith('Binary files'))) return 'd-meta';
  if (line.startsWith('@@')) return 'd-hunk';
  if (line.startsWith('+')) return 'd-add';
  if (line.startsWith('-')) return 'd-del';
  if (line.startsWith('\\')) return 'd-note';
  return 'd-ctx';
}

export function renderDiff(text) {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const out = h('pre', { class: 'diff-body' });
  const files = [];
  let inHunk = false, cur = null;
  for (const line of lines) {
    if (line.startsWith('diff ')) inHunk = false;
    const cls = diffLineClass(line, inHunk);
    if (cls === 'd-hunk') inHunk = true;
    if (cls === 'd-file') {
      const m = line.match(/ b\/(.*)$/);
      cur = { name: m ? m[1] : line.slice(11), add: 0, del: 0 };
      files.push(cur);
    } else if (cls === 'd-meta' && line.startsWith('+++ ') && !cur) {
      cur = { name: line.slice(4).replace(/^b\//, ''), add: 0, del: 0 };
      files.push(cur);
    } else if (cur && cls === 'd-add') cur.add++;
    else if (cur && cls === 'd-del') cur.del++;
    out.append(h('span', { class: 'dl ' + cls }, line + '\n'));
  }
  const summary = h('ul', { class: 'diff-files' }, files.map((f) => h('li', null,
    h('span', { class: 'mono' }, f.name), ' ', h('span', { class: 'd-add-n' }, '+' + f.add), ' ', h('span', { class: 'd-del-n' }, '−' + f.del))));
  return h('div', { class: 'diff' }, files.length ? summary : null,
    lines.length ? out : h('p', { class: 'muted' }, 'The diff is empty.'));
}
