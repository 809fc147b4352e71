"""The console's first stages: the token prompt, the dashboard and its service indicators, and the
create-run modal with its client-side checks and the server's 422 errors."""
import re

from console_support import BAD_JOB, QUICK_JOB, TOKEN, By, Failure, log


def token_and_dashboard(c, api):
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



def create_modal(c):
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
