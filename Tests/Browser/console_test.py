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
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback

from console_support import (TIMEOUT, TOKEN, Api, Console, Failure, Proc, WebDriverException, closed_port, log,
                             start_browser, start_stub)
from console_front import create_modal, token_and_dashboard
from console_runs import agent_diff_and_phone, dashboard_rows, live_run, parent_and_child, stop_and_retry


def scenario(c, server, api):
    token_and_dashboard(c, api)
    create_modal(c)
    run1 = live_run(c, server)
    run2, run2b = stop_and_retry(c)
    dashboard_rows(c, run1, run2, run2b)
    agent_diff_and_phone(c)
    parent_and_child(c)


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
