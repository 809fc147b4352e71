"""Helpers of the web console's browser test (console_test.py): the processes it starts, the page it
drives through selenium, the API it calls, and the stub service the indicators probe."""
import http.server
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException  # noqa: F401 (console_test)
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


_held = []


def closed_port():
    """A loopback port that refuses connections for the whole test: bound but never listening, and held,
    so no other process (an outgoing connection's ephemeral port) can take it meanwhile."""
    import socket
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    _held.append(s)
    return s.getsockname()[1]


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
