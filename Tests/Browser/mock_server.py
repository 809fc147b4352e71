#!/usr/bin/env python3
"""A stand-in for `agent-runner serve`, for developing the console without the Swift server.

It speaks the HTTP API of docs (GET /, /console/*, /api/v1/...) on top of a real spool: it reads the
spool's files directly and calls the real CLI for submit / pause / resume / stop / retry, so a real
`agent-runner worker` on the same spool runs what it queues.

    python3 Tests/Browser/mock_server.py --binary .build/debug/agent-runner --spool DIR [--listen 127.0.0.1:0] [--token T]

Prints `serving http://127.0.0.1:PORT/` like the real server. It is a development tool, not a server to
deploy: single-spool, no caching, whole event files re-read on every poll.
"""
import argparse
import datetime as dt
import glob
import json
import os
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
CONSOLE = os.path.normpath(os.path.join(HERE, '..', '..', 'Sources', 'APIServer', 'Console'))
TYPES = {'.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
         '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon'}

ARGS = None


def now_iso():
    return dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z'


def parse_iso(s):
    try:
        return dt.datetime.strptime(s, '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=dt.timezone.utc).timestamp()
    except Exception:
        return None


def cli(*args, stdin=None):
    p = subprocess.run([ARGS.binary, *args, '--spool', ARGS.spool], input=stdin, capture_output=True)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')


def find_run_file(run, suffix):
    for state in ('new', 'cur', 'done'):
        p = os.path.join(ARGS.spool, state, run + suffix)
        if os.path.exists(p):
            return state, p
    return None, None


def read_events(run):
    _, p = find_run_file(run, '.events.jsonl')
    if not p:
        return []
    out = []
    try:
        with open(p, 'rb') as f:
            for line in f.read().split(b'\n'):
                try:
                    out.append(json.loads(line))
                except Exception:
                    pass
    except FileNotFoundError:
        pass
    return out


def enrich(s, events=None, detail=False):
    """CLI summary -> API summary."""
    run = s.get('id')
    events = events if events is not None else (read_events(run) if run else [])
    r = {k: s.get(k) for k in ('id', 'name', 'state', 'status', 'title', 'worker', 'queued_at', 'started_at',
                               'finished_at', 'duration', 'reason', 'previous', 'next')}
    r['paused'] = bool(s.get('paused'))
    r['attempt'] = s.get('attempt', 0)
    r['labels'] = s.get('labels', [])
    r['last_seq'] = s.get('last_seq', 0)
    r['stop_requested'] = bool(run) and os.path.exists(os.path.join(ARGS.spool, 'control', run + '.stop')) and s.get('state') != 'done'
    provider = model = branch = head = None
    tin = tout = 0
    commits, steps = [], []
    for e in events:
        t = e.get('type')
        if t == 'claimed':
            steps = []
        elif t == 'agent.started':
            provider, model = e.get('provider'), e.get('model')
        elif t == 'llm.response':
            u = e.get('usage') or {}
            tin += u.get('input', 0)
            tout += u.get('output', 0)
        elif t == 'step.started':
            steps = [x for x in steps if x['step'] != e.get('step')]
            steps.append({'step': e.get('step'), 'name': e.get('name'), 'kind': 'run' if 'command' in e else 'agent', 'ok': None, 'outcome': None})
        elif t == 'step.finished':
            for x in steps:
                if x['step'] == e.get('step'):
                    x['ok'] = e.get('ok')
                    x['outcome'] = e.get('outcome') or e.get('error')
        elif t == 'git.branch':
            branch = e.get('branch')
        elif t == 'git.commit':
            head = e.get('sha')
            branch = e.get('branch') or branch
            c = {'sha': e.get('sha'), 'files': e.get('files', [])}
            if 'step' in e:
                c['step'] = e['step']
            if 'turn' in e:
                c['turn'] = e['turn']
            commits.append(c)
        elif t == 'finished':
            branch = e.get('branch') or branch
            head = e.get('head') or head
    r.update(provider=provider, model=model, tokens=tin + tout, branch=branch, head=head, commits=len(commits))
    if detail:
        r.update(commits=commits, commit_count=len(commits), tokens_input=tin, tokens_output=tout, steps=steps)
    return r


def all_runs():
    rc, out, err = cli('ls', '--json')
    if rc != 0:
        raise RuntimeError(err.strip())
    return json.loads(out or '[]')


def counts_of(runs):
    c = {k: 0 for k in ('queued', 'running', 'paused', 'done', 'succeeded', 'failed', 'stopped', 'rejected')}
    for r in runs:
        c[r['state']] = c.get(r['state'], 0) + 1
        if r.get('paused'):
            c['paused'] += 1
        if r.get('status'):
            c[r['status']] = c.get(r['status'], 0) + 1
    return c


def workers():
    out = []
    for p in glob.glob(os.path.join(ARGS.spool, 'workers', '*.json')):
        try:
            w = json.load(open(p))
        except Exception:
            continue
        last = parse_iso(w.get('last_seen', '')) or 0
        w['alive'] = time.time() - last < 10
        out.append(w)
    return out


SERVICES = [
    {'name': 'anthropic', 'kind': 'llm', 'url': 'https://api.anthropic.com', 'reachable': True, 'http_status': 200, 'latency_ms': 84, 'error': None},
    {'name': 'forgejo', 'kind': 'forgejo', 'url': 'https://git.example.test', 'reachable': False, 'http_status': None, 'latency_ms': None, 'error': 'connection refused'},
    {'name': 'taiga', 'kind': 'taiga', 'url': 'https://taiga.example.test', 'reachable': None, 'http_status': None, 'latency_ms': None, 'error': None},
]


def guess_path(msg):
    m = re.match(r'(?:unknown key "(\w+)" in the job)', msg)
    if m:
        return m.group(1)
    m = re.search(r'unknown key "(\w+)" in step (\d+)', msg)
    if m:
        return 'steps[%d].%s' % (int(m.group(2)) - 1, m.group(1))
    m = re.match(r'([\w.\[\]]+) must', msg)
    if m:
        return m.group(1)
    m = re.search(r'(workspace|prompt|provider|model|tools|title)', msg)
    return (('agent.' if m.group(1) in ('prompt', 'provider', 'model', 'tools') else '') + m.group(1)) if m else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'
    server_version = 'mock-agent-runner/1'

    def log_message(self, fmt, *a):
        if ARGS.verbose:
            sys.stderr.write('%s %s\n' % (self.address_string(), fmt % a))

    # ---- helpers
    def send(self, code, body, ctype='application/json', headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        # The real server's policy.
        self.send_header('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'")
        self.send_header('Cache-Control', 'no-store')
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def error(self, code, ecode, message, **extra):
        err = {'code': ecode, 'message': message}
        err.update(extra)
        self.send(code, {'error': err})

    def authorized(self):
        if not ARGS.token:
            return True
        if self.headers.get('Authorization', '') == 'Bearer ' + ARGS.token:
            return True
        self.error(401, 'unauthorized', 'a valid bearer token is required')
        return False

    def do_GET(self):
        self.route('GET')

    def do_POST(self):
        self.route('POST')

    def route(self, method):
        u = urlsplit(self.path)
        path, q = u.path, parse_qs(u.query)
        if ARGS.delay:
            time.sleep(ARGS.delay)
        try:
            if method == 'GET' and path == '/':
                return self.static('index.html')
            if method == 'GET' and path.startswith('/console/'):
                return self.static(path[len('/console/'):])
            if not path.startswith('/api/v1/'):
                return self.error(404, 'not_found', 'no such page')
            if not self.authorized():
                return
            parts = [unquote(p) for p in path[len('/api/v1/'):].split('/')]
            if method == 'GET' and parts == ['status']:
                return self.status()
            if parts[0] == 'runs':
                if len(parts) == 1:
                    return self.list_runs(q) if method == 'GET' else self.create(q)
                run = parts[1]
                if not re.fullmatch(r'[A-Za-z0-9-]+', run):
                    return self.error(404, 'not_found', 'no such run')
                if len(parts) == 2 and method == 'GET':
                    return self.detail(run)
                if len(parts) == 3 and parts[2] == 'events' and method == 'GET':
                    return self.events(run, q)
                if len(parts) == 3 and parts[2] == 'artifacts' and method == 'GET':
                    return self.artifacts(run)
                if len(parts) >= 4 and parts[2] == 'artifacts' and method == 'GET':
                    return self.artifact(run, '/'.join(parts[3:]))
                if len(parts) == 3 and method == 'POST' and parts[2] in ('pause', 'resume', 'stop', 'retry'):
                    return self.control(run, parts[2])
            self.error(404, 'not_found', 'no such endpoint')
        except BrokenPipeError:
            pass

    def static(self, name):
        p = os.path.normpath(os.path.join(CONSOLE, name))
        if not p.startswith(CONSOLE + os.sep) or not os.path.isfile(p):
            return self.error(404, 'not_found', 'no such file')
        with open(p, 'rb') as f:
            self.send(200, f.read(), TYPES.get(os.path.splitext(p)[1], 'application/octet-stream'))

    def status(self):
        runs = all_runs()
        self.send(200, {'generated_at': now_iso(), 'auth_required': bool(ARGS.token), 'workers': workers(),
                        'services': [dict(s, checked_at=now_iso()) for s in SERVICES], 'counts': counts_of(runs)})

    def list_runs(self, q):
        runs = all_runs()
        counts = counts_of(runs)
        states, statuses, labels = q.get('state', []), q.get('status', []), q.get('label', [])
        text = (q.get('q', [''])[0] or '').lower()
        sel = []
        for r in runs:
            if states and r['state'] not in states:
                continue
            if statuses and r.get('status') not in statuses:
                continue
            if labels and not set(labels) & set(r.get('labels', [])):
                continue
            if text and not any(text in (r.get(k) or '').lower() for k in ('id', 'name', 'title')):
                continue
            sel.append(r)
        limit = int(q.get('limit', ['50'])[0])
        offset = int(q.get('offset', ['0'])[0])
        page = [enrich(r) for r in sel[offset:offset + limit]]
        self.send(200, {'runs': page, 'total': len(sel), 'counts': counts, 'limit': limit, 'offset': offset})

    def detail(self, run):
        rc, out, err = cli('show', run, '--json')
        if rc != 0:
            return self.error(404, 'not_found', err.strip())
        d = json.loads(out)
        r = enrich(d['summary'], detail=True)
        r['job'] = d.get('job', '')
        self.send(200, r)

    def events(self, run, q):
        state, _ = find_run_file(run, '.yaml')
        if not state:
            return self.error(404, 'not_found', 'no such run')
        after = int(q.get('after', ['0'])[0] or 0)
        lei = self.headers.get('Last-Event-ID')
        if lei and lei.isdigit():
            after = max(after, int(lei))
        if 'text/event-stream' not in self.headers.get('Accept', ''):
            return self.send(200, [e for e in read_events(run) if e.get('seq', 0) > after])
        self.send_response(200)
        self.send_header('Content-Type', 'text/event-stream')
        self.send_header('Cache-Control', 'no-store')
        self.end_headers()
        last_write = time.time()
        started = time.time()
        while True:
            evs = [e for e in read_events(run) if e.get('seq', 0) > after]
            out = []
            for e in evs:
                after = e['seq']
                out.append('id: %d\nevent: %s\ndata: %s\n\n' % (e['seq'], e.get('type', 'message'), json.dumps(e, separators=(',', ':'))))
            st, _ = find_run_file(run, '.yaml')
            finished = st == 'done' and any(e.get('type') == 'finished' for e in read_events(run))
            if finished and not [e for e in read_events(run) if e.get('seq', 0) > after]:
                fin = [e for e in read_events(run) if e.get('type') == 'finished'][-1]
                out.append('event: end\ndata: %s\n\n' % json.dumps({'state': 'done', 'status': fin.get('status')}))
            if not out and time.time() - last_write > 5:
                out.append(': keepalive\n\n')
            if out:
                self.wfile.write(''.join(out).encode())
                self.wfile.flush()
                last_write = time.time()
            if finished and out and out[-1].startswith('event: end'):
                return
            if ARGS.drop_after and time.time() - started > ARGS.drop_after:
                return  # simulate a dropped connection
            time.sleep(0.1)

    def artifacts(self, run):
        state, _ = find_run_file(run, '.yaml')
        if not state:
            return self.error(404, 'not_found', 'no such run')
        base = os.path.join(ARGS.spool, state, run + '.artifacts')
        out = []
        for root, _, files in os.walk(base):
            for f in files:
                p = os.path.join(root, f)
                st = os.stat(p)
                out.append({'path': os.path.relpath(p, base), 'size': st.st_size,
                            'mtime': dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.000Z')})
        out.sort(key=lambda a: a['path'])
        self.send(200, {'artifacts': out})

    def artifact(self, run, rel):
        state, _ = find_run_file(run, '.yaml')
        if not state or '..' in rel.split('/'):
            return self.error(404, 'not_found', 'no such artifact')
        base = os.path.join(ARGS.spool, state, run + '.artifacts')
        p = os.path.normpath(os.path.join(base, rel))
        if not p.startswith(base + os.sep) or not os.path.isfile(p):
            return self.error(404, 'not_found', 'no such artifact')
        with open(p, 'rb') as f:
            self.send(200, f.read(), 'text/x-diff; charset=utf-8' if p.endswith('.diff') else 'text/plain; charset=utf-8')

    def create(self, q):
        n = int(self.headers.get('Content-Length', '0'))
        if n > 1 << 20:
            return self.error(413, 'too_large', 'the job is larger than 1 MiB')
        body = self.rfile.read(n)
        name = q.get('name', ['api.yaml'])[0]
        ctype = self.headers.get('Content-Type', '')
        if 'json' in ctype:
            try:
                job = json.loads(body)
            except Exception as e:
                return self.error(422, 'invalid_job', 'not JSON: %s' % e, reason='syntax')
            body = (json.dumps(job, indent=2) + '\n').encode()  # JSON is YAML
        rc, out, err = cli('submit', '-', '--name', name, stdin=body)
        if rc != 0:
            msg = err.strip().removeprefix('Error: ')
            m = re.match(r'<stdin>:(\d+):(\d+): (.*?)(?: \(expected: (.*)\))?$', msg, re.S)
            if not m:
                return self.error(422, 'invalid_job', msg, file=name)
            extra = {'file': name, 'line': int(m.group(1)), 'column': int(m.group(2)), 'reason': 'invalidValue'}
            if m.group(4):
                extra['expected'] = m.group(4)
            path = guess_path(m.group(3))
            if path:
                extra['path'] = path
            return self.error(422, 'invalid_job', m.group(3), **extra)
        self.send(201, {'id': out.strip(), 'name': name, 'state': 'queued'})

    def control(self, run, action):
        rc, out, err = cli(action, run)
        if rc != 0:
            msg = err.strip().removeprefix('Error: ')
            if 'no run' in msg or 'not found' in msg:
                return self.error(404, 'not_found', msg)
            return self.error(409, 'wrong_state', msg)
        if action == 'retry':
            return self.send(201, {'id': out.strip(), 'previous': run})
        self.send(202, {'id': run, 'action': action})


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument('--binary', required=True)
    ap.add_argument('--spool', required=True)
    ap.add_argument('--listen', default='127.0.0.1:0')
    ap.add_argument('--token', default='')
    ap.add_argument('--delay', type=float, default=0, help='seconds added to each request')
    ap.add_argument('--drop-after', type=float, default=0, help='close event streams after this many seconds')
    ap.add_argument('--verbose', action='store_true')
    ARGS = ap.parse_args()
    ARGS.spool = os.path.abspath(ARGS.spool)
    host, port = ARGS.listen.rsplit(':', 1)
    srv = ThreadingHTTPServer((host, int(port)), Handler)
    srv.daemon_threads = True
    print('serving http://%s:%d/' % (host, srv.server_address[1]), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
