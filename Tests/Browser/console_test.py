#!/usr/bin/env python3
"""End-to-end test of the web console in headless Chromium, against the real server.

    python3 Tests/Browser/console_test.py --binary .build/debug/agent-runner --screenshots /tmp/shots

Starts `agent-runner serve` (with an API token) and a real `agent-runner worker` on a temporary spool, and
drives the console with selenium through real runs: the token prompt; the dashboard updating live while a
job submitted over the API runs; the create-run modal with its client-side checks and the server's 422
errors (a YAML line/column and a form field); a shell run's live SSE timeline, paused, resumed, and
followed across a restart of `serve` (the stream reconnects with Last-Event-ID, no event twice or lost);
the artifact viewer; stop and retry; filters and counts; the service indicators (one reachable stub, one
closed port); a scripted agent run's patch.diff rendered as a diff; the phone-width layout. Screenshots:
token, dashboard, modal, run-live, run-paused, run-done, run-stopped, run-retried, run-diff, phone.
Exits 0 when everything passed.

Needs chromium, chromium-driver (/usr/bin/chromedriver) and `pip install selenium`.
`--keep` keeps the temporary spool.
"""
import argparse
import http.server
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request

try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    sys.exit('console_test: selenium is missing (pip install selenium)')

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = time.time()
TIMEOUT = 30
TOKEN = 'console-test-token-0123456789'

QUICK_JOB = """\
title: Console test quick
labels: [browser-test]
steps:
  - name: quick
    run: echo hello; sleep 2; echo bye
"""

TICKER_JOB = """\
title: Console test ticker
labels: [browser-test]
steps:
  - name: tick
    run: for i in $(seq 1 25); do echo tick $i; sleep 0.3; done
"""

SLEEPER_JOB = """\
title: Console test sleeper
labels: [browser-test]
steps:
  - name: sleep
    run: sleep 30
"""

# An unknown key in a step: the loader reports it at line 4, column 5.
BAD_JOB = """\
title: Bad job
steps:
  - run: echo hi
    nmae: oops
"""


class Failure(Exception):
    pass


def log(msg):
    print('[%5.1fs] %s' % (time.time() - T0, msg), flush=True)


# ------------------------------------------------------------------ processes

class Proc:
    def __init__(self, name, cmd, logdir, capture_stdout=False, env=None):
        self.name = name
        self.cmd = cmd
        self.errpath = os.path.join(logdir, name + '.log')
        self.err = open(self.errpath, 'wb')
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE if capture_stdout else self.err, stderr=self.err,
                                  start_new_session=True, env=env)
        self.lines = queue.Queue()
        if capture_stdout:
            threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for raw in self.p.stdout:
            line = raw.decode('utf-8', 'replace')
            self.lines.put(line)
            self.err.write(b'[stdout] ' + raw)
            if not self.err.closed:
                self.err.flush()

    def wait_line(self, pattern, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.p.poll() is not None and self.lines.empty():
                raise Failure('%s exited with %s before printing %r; its log:\n%s' % (self.name, self.p.returncode, pattern, self.tail()))
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            m = re.search(pattern, line)
            if m:
                return m
        raise Failure('%s did not print %r within %ss; its log:\n%s' % (self.name, pattern, timeout, self.tail()))

    def stop(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout=8)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait(timeout=5)
        if not self.err.closed:
            self.err.close()

    def tail(self, n=40):
        try:
            if not self.err.closed:
                self.err.flush()
            with open(self.errpath, 'rb') as f:
                return '\n'.join(f.read().decode('utf-8', 'replace').splitlines()[-n:])
        except Exception as e:  # noqa: BLE001
            return '(no log: %s)' % e


# ------------------------------------------------------------------ browser helpers

class Console:
    def __init__(self, driver, base, shots):
        self.d = driver
        self.base = base
        self.shots = shots

    def shot(self, name):
        path = os.path.join(self.shots, name)
        self.d.save_screenshot(path)
        log('screenshot %s' % path)

    def wait(self, fn, what, timeout=TIMEOUT):
        last = [None]

        def probe(_):
            try:
                v = fn()
                last[0] = v
                return v
            except (StaleElementReferenceException,):
                return False
        try:
            return WebDriverWait(self.d, timeout, poll_frequency=0.1).until(probe)
        except TimeoutException:
            raise Failure('timed out after %ss waiting for %s (last value: %r)' % (timeout, what, last[0])) from None

    def q(self, testid, root=None):
        return (root or self.d).find_element(By.CSS_SELECTOR, '[data-testid="%s"]' % testid)

    def qs(self, testid, root=None):
        return (root or self.d).find_elements(By.CSS_SELECTOR, '[data-testid="%s"]' % testid)

    def visible(self, testid):
        els = self.qs(testid)
        return els[0] if els and els[0].is_displayed() else None

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def events(self):
        return self.js("""return Array.from(document.querySelectorAll('[data-testid="timeline"] [data-testid="event"]'))
            .map(e => { const b = e.querySelector('.ev-body'); return [Number(e.dataset.seq), e.dataset.type, (b || e).textContent]; });""")

    def run_state(self):
        return self.js("""const b = document.querySelector('[data-testid="run-state"]');
            return b ? {state: b.dataset.state, status: b.dataset.status, paused: b.dataset.paused, display: b.dataset.display} : null;""")

    def field_error(self, field):
        return self.js("""const e = document.querySelector('[data-testid="field-error"][data-field="' + arguments[0] + '"]');
            return e && !e.hidden && e.offsetParent !== null ? e.textContent : null;""", field)

    def set_value(self, el, text):
        self.js("""arguments[0].value = arguments[1];
            arguments[0].dispatchEvent(new Event('input', {bubbles: true}));""", el, text)

    def press(self, el):
        """Clicks an element, or what a function finds: a live list may re-render between finding an element
        and clicking it, so with a function a stale element is looked up again."""
        find = el if callable(el) else (lambda: el)
        for attempt in range(5):
            target = find()
            try:
                # The top bar is sticky: bring the element to the middle so it cannot be under it.
                self.js("arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});", target)
                target.click()
                return
            except StaleElementReferenceException:
                if not callable(el) or attempt == 4:
                    raise
                time.sleep(0.1)

    def click(self, testid):
        self.press(lambda: self.wait(lambda: (lambda e: e if e is not None and e.is_enabled() else None)(self.visible(testid)),
                                     '%s to be visible and enabled' % testid))

    def current_run(self):
        m = re.match(r'^#/runs/([^/?#]+)', self.js('return location.hash;') or '')
        return m.group(1) if m else None

    def home(self):
        self.press(lambda: self.q('home'))
        self.wait(lambda: self.visible('runs-table') or self.visible('runs-empty'), 'the dashboard')

    def create_yaml(self, text, name=None):
        self.click('create-run')
        self.wait(lambda: self.visible('modal'), 'the create-run modal')
        self.click('mode-yaml')
        ta = self.wait(lambda: self.visible('yaml-input'), 'the YAML textarea')
        self.set_value(ta, text)
        if name is not None:
            self.set_value(self.q('input-name'), name)
        self.press(lambda: self.q('submit-run'))
        self.wait(lambda: not self.visible('modal'), 'the modal to close after a valid job')
        run = self.wait(self.current_run, 'the new run\u2019s detail page')
        self.wait(lambda: self.visible('run-header'), 'the run header')
        return run

    def browser_errors(self, restarted=False):
        """SEVERE browser log entries since the last call, but the responses the test provokes on purpose:
        401 (no token yet, a wrong one), 404, 409, 422 (bad jobs); with `restarted`, the failed requests
        while `serve` was down as well."""
        try:
            entries = self.d.get_log('browser')
        except Exception:  # noqa: BLE001
            return []
        bad = []
        for e in entries:
            msg = e.get('message', '')
            if e.get('level') != 'SEVERE' or 'favicon' in msg:
                continue
            if 'Failed to load resource' in msg and re.search(r'status of (401|404|409|422)\b', msg):
                continue
            if restarted and re.search(r'net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|EMPTY_RESPONSE|INCOMPLETE_CHUNKED_ENCODING)', msg):
                continue
            bad.append(msg)
        return bad


class Api:
    """The real HTTP API, called from the test itself (to change the spool behind the console's back)."""

    def __init__(self, base, token):
        self.base = base.rstrip('/') + '/api/v1'
        self.token = token

    def call(self, method, path, body=None, ctype='application/yaml'):
        req = urllib.request.Request(self.base + path, data=body.encode() if body is not None else None, method=method,
                                     headers={'Authorization': 'Bearer ' + self.token, 'Content-Type': ctype})
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            return json.loads(r.read() or b'null')


class Stub(http.server.BaseHTTPRequestHandler):
    """A service that answers (the status page only needs some HTTP answer to call it reachable)."""

    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'ok')

    do_HEAD = do_GET

    def log_message(self, *a):
        pass


def start_stub():
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Stub)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def closed_port():
    import socket
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = '/usr/bin/chromium'
    for a in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--window-size=1280,900'):
        opts.add_argument(a)
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    driver = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=opts)
    driver.set_window_size(1280, 900)
    driver.set_page_load_timeout(TIMEOUT)
    return driver


# ------------------------------------------------------------------ the test

def check_no_duplicates(c):
    seqs = [e[0] for e in c.events()]
    if len(seqs) != len(set(seqs)):
        dup = sorted({s for s in seqs if seqs.count(s) > 1})
        raise Failure('the timeline shows events twice: seq %s' % dup)
    if seqs != sorted(seqs):
        raise Failure('the timeline is out of order: %s' % seqs)
    if seqs and seqs != list(range(seqs[0], seqs[0] + len(seqs))):
        raise Failure('the timeline has gaps: %s' % seqs)
    return seqs


def outputs(c):
    return [e for e in c.events() if e[1] == 'step.output']


def scenario(c, server, api):
    d = c.d

    # ---- the token prompt: the console's files load without a token, its first API call asks for one
    d.get(c.base)
    c.wait(lambda: c.visible('token-form'), 'the token prompt')
    c.press(lambda: c.q('token-submit'))
    c.wait(lambda: c.field_error('token'), 'the "enter the token" error')
    c.set_value(c.q('token-input'), 'not-the-token-0123456789')
    c.press(lambda: c.q('token-submit'))
    c.wait(lambda: c.visible('token-form') and 'refused' in c.js("return document.getElementById('token-msg').textContent;"),
           'the prompt to come back after the server refused a wrong token')
    log('token prompt: %r' % c.js("return document.getElementById('token-msg').textContent;"))
    c.shot('token.png')
    c.set_value(c.q('token-input'), TOKEN)
    c.press(lambda: c.q('token-submit'))
    c.wait(lambda: not c.visible('token-form'), 'the token prompt to close')

    c.wait(lambda: c.visible('runs-table') or c.visible('runs-empty'), 'the dashboard to load')
    c.wait(lambda: c.q('worker-status').get_attribute('data-alive') == '1', 'the worker indicator to show one alive worker')
    c.wait(lambda: c.visible('change-token'), 'the Token button (the server says it needs a token)')
    log('dashboard loaded; worker indicator: %r' % c.q('worker-status').text)

    # ---- the service indicators: the real server probes a stub that answers and a closed port
    want = {'taiga': 'reachable', 'forgejo': 'unreachable'}
    c.wait(lambda: {s.get_attribute('data-name'): s.get_attribute('data-state') for s in c.qs('service-status')} == want,
           'the service indicators to show taiga reachable and forgejo unreachable')
    log('services: %r' % want)
    c.shot('dashboard.png')

    # ---- the dashboard follows a run queued behind its back (over the API), without reloading
    c.js('window.__consoleTestMarker = 1;')
    quick = api.call('POST', '/runs?name=quick.yaml', QUICK_JOB)['id']
    row = '[data-testid="run-row"][data-run-id="%s"]' % quick
    c.wait(lambda: d.find_elements(By.CSS_SELECTOR, row), 'the row of the run queued over the API')
    c.wait(lambda: d.find_elements(By.CSS_SELECTOR, row + '[data-state="running"]'), 'its row to show running')
    c.wait(lambda: d.find_elements(By.CSS_SELECTOR, row + '[data-status="succeeded"]'), 'its row to show succeeded')
    if c.js('return window.__consoleTestMarker;') != 1:
        raise Failure('the dashboard reloaded the page instead of updating the list')
    c.wait(lambda: int(c.q('count-succeeded').get_attribute('data-count')) >= 1, 'the succeeded count')
    log('dashboard followed run %s live: queued, running, succeeded' % quick)

    # ---- the create-run modal: client-side checks, then the server's error for a bad job
    c.click('create-run')
    c.wait(lambda: c.visible('modal'), 'the create-run modal')
    c.click('mode-form')
    c.set_value(c.q('input-workspace'), '/etc/absolute')
    c.press(lambda: c.q('submit-run'))
    c.wait(lambda: c.field_error('prompt'), 'the client-side "prompt required" error')
    c.wait(lambda: c.field_error('workspace'), 'the client-side "workspace must be relative" error')
    log('client-side checks: prompt: %r; workspace: %r' % (c.field_error('prompt'), c.field_error('workspace')))
    c.set_value(c.q('input-workspace'), '')

    # the real server's 422 for a form field: a tool the console offers but the server does not know
    c.set_value(c.q('input-prompt'), 'Write NOTES.md.')
    c.js("""const b = document.querySelector('input[name="tools"][value="fetch_url"]'); b.value = 'format_disk'; b.checked = true;""")
    c.press(lambda: c.q('submit-run'))
    err = c.wait(lambda: c.field_error('tools'), 'the server\u2019s error under the Tools field')
    log('server error under the tools field: %r' % err)
    if 'format_disk' not in err:
        raise Failure('the tools error should name the unknown tool; it says %r' % err)
    c.js("""const b = document.querySelector('input[name="tools"][value="format_disk"]'); b.value = 'fetch_url'; b.checked = false;""")
    c.set_value(c.q('input-prompt'), '')

    c.click('mode-yaml')
    ta = c.wait(lambda: c.visible('yaml-input'), 'the YAML textarea')
    c.set_value(ta, '   \n')
    c.press(lambda: c.q('submit-run'))
    c.wait(lambda: c.field_error('yaml'), 'the client-side "empty job" error')
    log('client-side check: empty YAML: %r' % c.field_error('yaml'))

    c.set_value(ta, BAD_JOB)
    c.press(lambda: c.q('submit-run'))
    err = c.wait(lambda: (lambda t: t if t and 'line' in t else None)(c.field_error('yaml')), 'the server\u2019s line/column error')
    log('server error shown in the modal: %r' % err)
    if not re.search(r'line 4, column 5\b', err):
        raise Failure('the bad job\u2019s error should point at line 4, column 5; the modal says %r' % err)
    if not c.visible('modal'):
        raise Failure('the modal closed after a rejected job')
    c.shot('modal.png')
    c.press(lambda: c.q('modal-cancel'))
    c.wait(lambda: not c.visible('modal'), 'the modal to close on Cancel')

    # ---- a ticking run, followed live
    run1 = c.create_yaml(TICKER_JOB, name='ticker.yaml')
    log('created run %s' % run1)
    c.wait(lambda: (c.run_state() or {}).get('state') == 'running', 'run 1 to be running')
    first = c.wait(lambda: (lambda o: o if len(o) >= 2 else None)(outputs(c)), 'the first step.output events')
    first_max = max(e[0] for e in first)
    later = c.wait(lambda: (lambda o: o if o and max(e[0] for e in o) > first_max + 1 else None)(outputs(c)),
                   'more step.output events with higher seq')
    if (c.run_state() or {}).get('state') != 'running':
        raise Failure('the output did not arrive while the run was running')
    log('live output: %d step.output events, seq %d..%d, last %r' % (len(later), later[0][0], later[-1][0], later[-1][2].strip()[-20:]))
    c.shot('run-live.png')

    # ---- pause: the state says paused and no output arrives for a second
    c.click('btn-pause')
    c.wait(lambda: (c.run_state() or {}).get('display') == 'paused', 'the header to show paused')
    c.wait(lambda: any(e[1] == 'paused' for e in c.events()), 'the paused event in the timeline')
    c.wait(lambda: c.visible('btn-resume') and c.q('btn-resume').is_enabled(), 'the Resume button')
    if c.q('btn-pause').is_displayed() and c.q('btn-pause').is_enabled():
        raise Failure('Pause is still enabled on a paused run')
    time.sleep(0.3)  # a line read just before SIGSTOP may still be on its way
    before = max(e[0] for e in outputs(c))
    time.sleep(1.0)
    after = max(e[0] for e in outputs(c))
    if after != before:
        raise Failure('step.output kept arriving while paused (seq %d -> %d)' % (before, after))
    log('paused: no new output for 1 s (last output seq %d)' % before)
    c.shot('run-paused.png')

    # ---- resume, then it finishes
    c.click('btn-resume')
    c.wait(lambda: max(e[0] for e in outputs(c)) > before, 'new output after resuming')
    log('resumed: output continues')

    # ---- `serve` dies and comes back on the same port: the stream reconnects from the last seq it has
    errs = c.browser_errors()
    if errs:
        raise Failure('the browser console logged errors:\n  ' + '\n  '.join(errs))
    had = max(e[0] for e in outputs(c))
    server.restart()
    c.wait(lambda: c.q('stream-status').get_attribute('data-state') != 'live', 'the stream to notice the dropped connection', timeout=10)
    log('serve restarted; stream: %r' % c.q('stream-status').get_attribute('data-state'))
    c.wait(lambda: c.q('stream-status').get_attribute('data-state') in ('live', 'ended'), 'the stream to reconnect')
    c.wait(lambda: max(e[0] for e in outputs(c)) > had or (c.run_state() or {}).get('state') == 'done', 'output after the reconnect')
    log('stream reconnected (%s); output continues' % c.q('stream-status').get_attribute('data-state'))
    c.wait(lambda: (c.run_state() or {}).get('state') == 'done', 'run 1 to finish')
    st = c.run_state()
    if st.get('status') != 'succeeded':
        raise Failure('run 1 finished as %r, not succeeded' % st)
    c.wait(lambda: any(e[1] == 'finished' for e in c.events()), 'the finished event in the timeline')
    seqs = check_no_duplicates(c)
    texts = ''.join(e[2] for e in outputs(c))
    missing = [i for i in range(1, 26) if 'tick %d\n' % i not in texts and 'tick %d' % i not in texts.split()]
    if 'tick 25' not in texts:
        raise Failure('the timeline lacks the last output line "tick 25"')
    types = [e[1] for e in c.events()]
    for t in ('queued', 'claimed', 'started', 'step.started', 'paused', 'resumed', 'step.finished', 'finished'):
        if t not in types:
            raise Failure('the timeline has no %s event (it has %s)' % (t, sorted(set(types))))
    c.wait(lambda: c.q('btn-retry').is_enabled(), 'Retry to be enabled on a done run')
    for b in ('btn-pause', 'btn-stop'):
        if c.q(b).is_enabled():
            raise Failure('%s is enabled on a done run' % b)
    c.wait(lambda: c.js("""return Array.from(document.querySelectorAll('[data-testid="artifact"]')).map(a => a.dataset.path)
        .filter(p => /\\.stdout$/.test(p)).length > 0;"""), 'the stdout artifact in the artifacts list')
    log('run 1 succeeded: %d events (seq 1..%d, no duplicates or gaps), missing ticks: %s' % (len(seqs), seqs[-1], missing or 'none'))
    c.shot('run-done.png')

    # the artifact viewer shows the step's output
    art = c.js("""const a = Array.from(document.querySelectorAll('[data-testid="artifact"]')).find(a => /\\.stdout$/.test(a.dataset.path));
        return a ? a.dataset.path : null;""")
    c.press(lambda: c.d.find_element(By.CSS_SELECTOR, '[data-testid="artifact"][data-path="%s"] button' % art))
    c.wait(lambda: 'tick 25' in (c.js("""const t = document.querySelector('[data-testid="artifact-text"]'); return t ? t.textContent : '';""") or ''),
           'the artifact viewer to show %s' % art)
    c.press(lambda: c.q('viewer-close'))
    log('artifact viewer shows %s' % art)

    c.wait(lambda: not c.visible('error-banner'), 'the connection banner to clear')
    errs = c.browser_errors(restarted=True)
    if errs:
        raise Failure('the browser console logged errors:\n  ' + '\n  '.join(errs))

    # ---- a long run, stopped from its page, then retried
    c.home()
    run2 = c.create_yaml(SLEEPER_JOB, name='sleeper.yaml')
    log('created run %s' % run2)
    c.wait(lambda: (c.run_state() or {}).get('state') == 'running', 'run 2 to be running')
    c.wait(lambda: any(e[1] == 'step.started' for e in c.events()), 'run 2\u2019s step to start')
    c.click('btn-stop')
    c.wait(lambda: (c.run_state() or {}).get('status') == 'stopped', 'run 2 to end as stopped')
    c.wait(lambda: any(e[1] == 'finished' for e in c.events()), 'run 2\u2019s finished event')
    log('run 2 stopped: %r' % c.run_state())
    c.shot('run-stopped.png')

    c.click('btn-retry')
    run2b = c.wait(lambda: (lambda r: r if r and r != run2 else None)(c.current_run()), 'Retry to open the new run')
    c.wait(lambda: 'Retried as' in (c.visible('error-banner') and c.q('error-banner').text or ''), 'the "Retried as" notice')
    c.wait(lambda: d.find_elements(By.CSS_SELECTOR, '[data-testid="run-meta"] a[href="#/runs/%s"]' % run2), 'the "Retry of" link to run 2')
    c.wait(lambda: any(e[1] == 'queued' and 'retry of' in e[2] for e in c.events()), 'the queued event naming run 2')
    c.wait(lambda: (c.run_state() or {}).get('state') in ('queued', 'running'), 'the retried run to be queued or running')
    c.shot('run-retried.png')
    c.click('btn-stop')
    c.wait(lambda: (c.run_state() or {}).get('status') == 'stopped', 'the retried run to end as stopped')
    c.js('location.hash = arguments[0];', '#/runs/' + run2)
    c.wait(lambda: (lambda e: e is not None and e.text == run2b)(c.visible('run-next')), 'run 2\u2019s page to link its retry')
    log('run 2 retried as %s (stopped too); each page links the other' % run2b)

    # ---- dashboard: rows, counts and indicators
    c.home()
    for run, status in ((run2, 'stopped'), (run2b, 'stopped'), (run1, 'succeeded')):
        c.wait(lambda: d.find_elements(By.CSS_SELECTOR, '[data-testid="run-row"][data-run-id="%s"][data-status="%s"]' % (run, status)),
               'the row of %s to show %s' % (run, status))
    c.wait(lambda: int(c.q('count-succeeded').get_attribute('data-count')) >= 2 and int(c.q('count-stopped').get_attribute('data-count')) >= 2,
           'the succeeded and stopped counts')
    c.wait(lambda: c.q('worker-status').get_attribute('data-alive') == '1', 'one alive worker')
    log('indicators: %r' % c.q('worker-status').text)
    # filters: search narrows the table to the sleeper and its retry
    c.set_value(c.q('filter-q'), 'sleeper')
    c.wait(lambda: sorted(r.get_attribute('data-run-id') for r in c.qs('run-row')) == sorted([run2, run2b]),
           'the text filter to show only run 2 and its retry')
    c.set_value(c.q('filter-q'), '')
    c.wait(lambda: len(c.qs('run-row')) >= 4, 'the unfiltered table')
    # a row opens its run
    c.press(lambda: c.d.find_element(By.CSS_SELECTOR, '[data-testid="run-row"][data-run-id="%s"] td:last-child' % run1))
    c.wait(lambda: c.current_run() == run1, 'a row click to open run 1')
    c.wait(lambda: (c.run_state() or {}).get('status') == 'succeeded', 'run 1\u2019s page')
    c.home()

    # ---- an agent run's patch.diff renders as a diff (the scripted provider: offline, no key)
    agent_job = (
        "title: Console test agent\n"
        "workspace: workspaces/console-agent\n"
        "labels: [browser-test]\n"
        "agent:\n"
        "  provider: scripted\n"
        "  prompt: Write NOTES.md.\n"
        "  script:\n"
        "    - tool: write_file\n"
        "      args: {path: NOTES.md, content: \"# Notes\\nwritten by the console test\\n\"}\n"
        "    - say: Done.\n"
    )
    run3 = c.create_yaml(agent_job, name='agent.yaml')
    c.wait(lambda: (c.run_state() or {}).get('status') == 'succeeded', 'the agent run to succeed', timeout=60)
    c.wait(lambda: c.js("""const d = document.querySelector('[data-testid="diff"]');
        return d ? Array.from(d.querySelectorAll('.d-add')).some(e => e.textContent.indexOf('+# Notes') === 0) : false;"""),
        'patch.diff of run 3 to render with its added lines marked')
    c.wait(lambda: any(e[1] == 'git.commit' for e in c.events()), 'a git.commit event in the timeline')
    c.wait(lambda: not c.visible('error-banner'), 'the "Retried as" notice to go away by itself')
    c.shot('run-diff.png')
    log('agent run %s: patch.diff rendered as a diff' % run3)
    c.home()

    # ---- phone width
    c.d.set_window_size(390, 844)
    c.wait(lambda: c.visible('runs-table'), 'the dashboard at 390 px')
    over = c.js('return document.documentElement.scrollWidth - window.innerWidth;')
    if over > 1:
        raise Failure('at 390 px the page scrolls sideways by %d px' % over)
    btn = c.q('create-run')
    fits = c.js("""const r = arguments[0].getBoundingClientRect();
        return r.width >= 40 && r.height >= 30 && r.left >= 0 && r.right <= window.innerWidth;""", btn)
    if not fits:
        raise Failure('the Create run button is not usable at 390 px')
    c.shot('phone.png')
    log('phone layout ok (no sideways scroll)')

    errs = c.browser_errors()
    if errs:
        raise Failure('the browser console logged errors:\n  ' + '\n  '.join(errs))


class Server:
    """`agent-runner serve` on the test spool, with the token in its environment; restart() kills it (as a
    crash would) and starts a new one on the same port."""

    def __init__(self, binary, spool, logdir):
        self.binary, self.spool, self.logdir = binary, spool, logdir
        self.generation = 0
        self.proc = None
        self.base = self.start('127.0.0.1:0')

    def start(self, listen):
        self.generation += 1
        env = dict(os.environ, AGENT_RUNNER_API_TOKEN=TOKEN)
        self.proc = Proc('server-%d' % self.generation, [self.binary, 'serve', '--spool', self.spool, '--listen', listen],
                         self.logdir, capture_stdout=True, env=env)
        base = self.proc.wait_line(r'serving (http://\S+)', TIMEOUT).group(1)
        return base if base.endswith('/') else base + '/'

    def restart(self):
        os.killpg(self.proc.p.pid, signal.SIGKILL)
        self.proc.stop()
        port = re.search(r':(\d+)/$', self.base).group(1)
        base = self.start('127.0.0.1:' + port)
        if base != self.base:
            raise Failure('the new serve listens at %s, not %s' % (base, self.base))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--binary', required=True, help='path to agent-runner')
    ap.add_argument('--screenshots', default='console-screenshots', help='folder for the screenshots')
    ap.add_argument('--keep', action='store_true', help='keep the temporary spool')
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit('console_test: %s is not an executable' % binary)
    os.makedirs(args.screenshots, exist_ok=True)
    shots = os.path.abspath(args.screenshots)

    tmp = tempfile.mkdtemp(prefix='agent-runner-console-')
    spool = os.path.join(tmp, 'spool')
    procs, driver, c, server, stub = [], None, None, None, None
    ok = False
    try:
        subprocess.run([binary, 'init', spool], check=True, capture_output=True)
        stub = start_stub()
        with open(os.path.join(spool, 'config.yaml'), 'w') as f:
            f.write('poll_interval: 200ms\n'
                    'api:\n  status_interval: 1s\n'
                    'taiga:\n  url: http://127.0.0.1:%d/\n'
                    'forgejo:\n  url: http://127.0.0.1:%d/\n' % (stub.server_address[1], closed_port()))
        server = Server(binary, spool, tmp)
        log('server at %s' % server.base)
        worker = Proc('worker', [binary, 'worker', '--spool', spool, '--concurrency', '2', '--poll-interval', '0.2'], tmp)
        procs.append(worker)
        log('worker started (pid %d)' % worker.p.pid)

        driver = start_browser()
        c = Console(driver, server.base, shots)
        scenario(c, server, Api(server.base, TOKEN))
        ok = True
    except Failure as e:
        print('\nFAIL: %s' % e, file=sys.stderr)
    except WebDriverException as e:
        print('\nFAIL: browser error: %s' % (e.msg or e), file=sys.stderr)
        traceback.print_exc()
    except Exception:  # noqa: BLE001
        print('\nFAIL: unexpected error', file=sys.stderr)
        traceback.print_exc()
    finally:
        if server is not None:
            procs.insert(0, server.proc)
        if not ok:
            if c is not None:
                try:
                    c.shot('failure.png')
                    print('page URL: %s' % driver.current_url, file=sys.stderr)
                    errs = c.browser_errors()
                    if errs:
                        print('browser console errors:\n  ' + '\n  '.join(errs), file=sys.stderr)
                except Exception:  # noqa: BLE001
                    pass
            for p in procs:
                print('--- %s log (last lines) ---\n%s' % (p.name, p.tail()), file=sys.stderr)
        if driver is not None:
            try:
                driver.quit()
            except Exception:  # noqa: BLE001
                pass
        for p in reversed(procs):
            p.stop()
        if stub is not None:
            stub.shutdown()
        if args.keep:
            log('kept %s' % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if ok:
        log('PASS')
        return 0
    return 1


if __name__ == '__main__':
    sys.exit(main())
