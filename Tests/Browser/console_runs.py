"""The console's run pages: a shell run followed live, paused, resumed and across a restart of `serve`;
the artifact viewer; stop and retry; the dashboard's rows, counts and filters; an agent run's diff; the
phone-width layout."""
import time

from console_support import SLEEPER_JOB, TICKER_JOB, By, Failure, check_no_duplicates, log, outputs


def live_run(c, server):
    """Returns the ticking run's id."""
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
    return run1


def stop_and_retry(c):
    """Returns the stopped run's id and its retry's."""
    d = c.d
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
    return run2, run2b


def dashboard_rows(c, run1, run2, run2b):
    d = c.d
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


def agent_diff_and_phone(c):
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


PARENT_JOB = """title: a parent
steps:
  - run: |
      printf 'title: the child\\nsteps:\\n  - run: echo child\\n' > child.yaml
      "$AGENT_RUNNER_BIN" spawn child.yaml --key one
  - wait: all
    timeout: 2m
  - run: echo after the wait
"""


def parent_and_child(c):
    """A parent that spawns a child and waits for it: its page links the child, the child's links back."""
    d = c.d
    c.home()
    parent = c.create_yaml(PARENT_JOB, name='parent.yaml')
    log('created parent %s' % parent)
    c.wait(lambda: (c.run_state() or {}).get('status') == 'succeeded', 'the parent to finish after its child')
    # The child may finish before the parent reaches its wait (the worker has two slots); then the wait ends
    # at once without parking, so the timeline shows the wait step either way, a wait.released only sometimes.
    c.wait(lambda: any(e[1] == 'step.finished' and 'children finished' in e[2] for e in c.events()), 'the wait step in the timeline')
    link = c.wait(lambda: (lambda el: el.find_elements(By.CSS_SELECTOR, 'a') if el else None)(c.visible('run-children')),
                  'the Children row to link the child')
    child = link[0].get_attribute('href').split('#/runs/')[1]
    c.shot('run-parent.png')
    link[0].click()
    c.wait(lambda: c.current_run() == child, 'the child\u2019s page')
    c.wait(lambda: (lambda e: e is not None and e.text == parent)(c.visible('run-parent')), 'the child\u2019s page to link its parent')
    c.wait(lambda: (c.run_state() or {}).get('status') == 'succeeded', 'the child to have succeeded')
    c.shot('run-child.png')
    log('parent %s and child %s link each other' % (parent, child))
