"""Helpers for bench/api.sh: a spool of finished runs written directly, list latency, SSE fan-out.

Standard library only. Every subcommand prints one JSON object on stdout (progress goes to stderr):

  spool DIR N                      write N finished runs into DIR/done/ (DIR made by `agent-runner init`)
  ready OUT T0 [TIMEOUT]           wait for `serving http://…/` in the file OUT, then for a list answer;
                                   times are from T0 (epoch seconds, when serve was started)
  list BIG_URL SMALL_URL N Q       N rounds of each list request against both servers, interleaved
  sse URL DIR CLIENTS M INTERVAL   a running run in DIR/cur/, CLIENTS subscribers, M events INTERVAL ms apart
  table RESULTS.json               the markdown table
"""
import http.client, json, os, random, sys, threading, time, urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_spool import HOST, event, log, make_running, run_id, spool  # noqa: E402


def split_url(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port


def get(conn, path, headers=None):
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    body = r.read()
    return r.status, body


def ready(out, t0, timeout=120):
    """Start-up: the `serving` line (index built, socket bound), then the first list answered."""
    t0, deadline = float(t0), time.time() + float(timeout)
    url = None
    while time.time() < deadline:
        try:
            with open(out) as f:
                for line in f:
                    if line.startswith("serving http://"):
                        url = line.split()[1]
        except FileNotFoundError:
            pass
        if url:
            break
        time.sleep(0.002)
    if not url:
        raise SystemExit(f"serve did not print `serving http://…` within {timeout}s (see {out})")
    t_serving = time.time()
    host, port = split_url(url)
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection(host, port, timeout=30)
            status, body = get(conn, "/api/v1/runs?limit=50")
            conn.close()
            if status == 200:
                t_list = time.time()
                total = json.loads(body)["total"]
                return {"url": url, "serving_ms": round((t_serving - t0) * 1000, 1),
                        "first_list_ms": round((t_list - t0) * 1000, 1), "total": total}
        except OSError:
            pass
        time.sleep(0.002)
    raise SystemExit("the list endpoint never answered 200")


def pct(values, p):
    """Nearest rank."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 1)) - 1))
    return s[k]


def summary_ms(samples):
    return {"n": len(samples), "p50": round(pct(samples, 0.50), 2), "p99": round(pct(samples, 0.99), 2),
            "max": round(max(samples), 2), "mean": round(sum(samples) / len(samples), 2)}


def list_bench(big_url, small_url, n, q, budget):
    """N rounds; in each, every kind of request once against each server (noise hits both alike).
    Stops early after `budget` seconds (a debug build needs that); the rounds done are reported."""
    n, budget = int(n), float(budget)
    kinds = [
        ("page1", "/api/v1/runs?limit=50"),
        ("failed", "/api/v1/runs?status=failed&limit=50"),
        ("search", "/api/v1/runs?q=" + urllib.parse.quote(q) + "&limit=50"),
        ("deep", None),  # the last page: offset = total - 50, from the first answer of the big server
        ("status", "/api/v1/status"),
    ]
    servers = {"big": big_url, "small": small_url}
    conns = {k: http.client.HTTPConnection(*split_url(u), timeout=60) for k, u in servers.items()}
    total = json.loads(get(conns["big"], "/api/v1/runs?limit=1")[1])["total"]
    kinds[3] = ("deep", f"/api/v1/runs?offset={max(0, total - 50)}&limit=50")
    times = {(s, k): [] for s in servers for k, _ in kinds}
    checks = {}
    # What each request returns, checked once against what the spool holds.
    for s in servers:
        for k, path in kinds:
            status, body = get(conns[s], path)
            if status != 200:
                raise SystemExit(f"{s} {path}: HTTP {status}: {body[:200]!r}")
            j = json.loads(body)
            c = {"bytes": len(body)}
            if "runs" in j:
                runs = j["runs"]
                c.update(total=j["total"], returned=len(runs))
                if k == "failed":
                    c["ok"] = all(r["status"] == "failed" for r in runs)
                elif k == "search":
                    c["ok"] = all(q.lower() in ((r.get("title") or "") + r["name"] + r["id"]).lower() for r in runs)
                else:
                    ids = [r["id"] for r in runs]
                    c["ok"] = ids == sorted(ids, reverse=True)
            checks[f"{s}.{k}"] = c
    for _ in range(10):  # warm-up
        for s in servers:
            for k, path in kinds:
                get(conns[s], path)
    t_all = time.monotonic()
    rounds = 0
    for i in range(n):
        if time.monotonic() - t_all > budget:
            log(f"list: time budget of {budget:g}s used up after {i} of {n} rounds")
            break
        rounds += 1
        for k, path in kinds:
            for s in servers:
                t = time.perf_counter()
                status, body = get(conns[s], path)
                dt = (time.perf_counter() - t) * 1000
                if status != 200:
                    raise SystemExit(f"{s} {path}: HTTP {status}")
                times[(s, k)].append(dt)
    log(f"list: {rounds} rounds x {len(kinds)} kinds x 2 servers in {time.monotonic() - t_all:.1f}s")
    return {"rounds": rounds, "rounds_asked": n, "q": q, "paths": dict(kinds), "checks": checks,
            "results": {f"{s}.{k}": summary_ms(v) for (s, k), v in times.items()}}


# MARK: SSE fan-out

class Client(threading.Thread):
    """One SSE subscriber. Raw lines are kept with their arrival time and parsed after the stream ends,
    so that 100 Python threads spend as little as possible between the socket and the timestamp."""

    def __init__(self, host, port, run, ready_seq, gate):
        super().__init__(daemon=True)
        self.host, self.port, self.run_id = host, port, run
        self.ready_seq, self.gate = ready_seq, gate
        self.lines = []  # (time, bytes)
        self.error = None
        self.closed_at = None

    def run(self):
        try:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            conn.request("GET", f"/api/v1/runs/{self.run_id}/events", headers={"Accept": "text/event-stream"})
            r = conn.getresponse()
            if r.status != 200:
                raise RuntimeError(f"HTTP {r.status}")
            marker = f"id: {self.ready_seq}\n".encode()
            signalled = False
            while True:
                line = r.readline()
                t = time.time()
                if not line:
                    self.closed_at = t
                    break
                self.lines.append((t, line))
                if not signalled and line == marker:
                    signalled = True
                    self.gate.release()
            conn.close()
        except Exception as e:  # reported as a failure, never raised past the thread
            self.error = repr(e)
            self.gate.release()

    def frames(self):
        """[(time, event type, data dict)] from the SSE lines."""
        out, etype, sid = [], None, None
        for t, raw in self.lines:
            line = raw.decode().rstrip("\n")
            if line.startswith("id: "):
                sid = int(line[4:])
            elif line.startswith("event: "):
                etype = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
                out.append((t, etype, sid, data))
                etype, sid = None, None
        return out


def cpu_ticks(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle(pids, seconds):
    """CPU use of each server while nobody asks anything (the index's own upkeep), % of one core."""
    pids, seconds = pids.split(","), float(seconds)
    a = {p: cpu_ticks(p) for p in pids}
    time.sleep(seconds)
    return {p: round((cpu_ticks(p) - a[p]) / seconds * 100, 1) for p in pids}


def sse(url, d, clients, m, interval_ms, server_pid):
    clients, m, interval_ms = int(clients), int(m), float(interval_ms)
    interval = interval_ms / 1000
    host, port = split_url(url)
    rng = random.Random()
    run, first = make_running(d, rng)
    conn = http.client.HTTPConnection(host, port, timeout=30)
    deadline = time.time() + 10
    while get(conn, f"/api/v1/runs/{run}")[0] != 200:  # the index has seen it (inotify, or the lookup's refresh)
        if time.time() > deadline:
            raise SystemExit(f"the server never saw {run}")
        time.sleep(0.01)
    conn.close()
    gate = threading.Semaphore(0)
    cs = [Client(host, port, run, first, gate) for _ in range(clients)]
    t_connect = time.time()
    for c in cs:
        c.start()
    for _ in cs:  # every client has the history (seq 1..first) before the first new event is written
        if not gate.acquire(timeout=30):
            raise SystemExit("clients did not all connect within 30 s")
    connect_ms = (time.time() - t_connect) * 1000
    cur, done = os.path.join(d, "cur"), os.path.join(d, "done")
    path = os.path.join(cur, run + ".events.jsonl")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    seq = first
    start = time.time() + 0.05
    late = 0
    cpu0, own0, t_cpu0 = cpu_ticks(server_pid), sum(os.times()[:2]), time.time()
    for k in range(m):
        target = start + k * interval
        while True:
            now = time.time()
            if now >= target:
                break
            time.sleep(min(target - now, 0.005))
        if now - target > interval:
            late += 1
        seq += 1
        sent = time.time()
        os.write(fd, event(sent, seq, run, "step.output", step=1, stream="stdout",
                           text=f"tick {k}\n", sent_us=int(sent * 1e6)).encode())  # one write per line
    seq += 1
    os.write(fd, event(time.time(), seq, run, "finished", status="succeeded", duration=round(time.time() - start, 3)).encode())
    os.close(fd)
    time.sleep(0.3)
    cpu_s = cpu_ticks(server_pid) - cpu0
    own_s = sum(os.times()[:2]) - own0
    wall = time.time() - t_cpu0  # let every stream read the last events from cur/ before the run moves
    # The finish: events first (link + unlink, same inode), then the job file: the commit.
    os.link(path, os.path.join(done, run + ".events.jsonl"))
    os.unlink(path)
    os.rename(os.path.join(cur, run + ".yaml"), os.path.join(done, run + ".yaml"))
    t_moved = time.time()
    for c in cs:
        c.join(timeout=15)
    expected = list(range(1, seq + 1))
    delays, end_delays = [], []
    lost = dup = disorder = no_end = errors = stuck = bad_end = 0
    per_client = []
    for c in cs:
        if c.is_alive():
            stuck += 1
        if c.error:
            errors += 1
        frames = c.frames()
        seqs = [f[2] for f in frames if f[1] != "end"]
        per_client.append(len(seqs))
        data_seqs = [f[3].get("seq") for f in frames if f[1] != "end"]
        if data_seqs != seqs:
            disorder += 1
        lost += len(set(expected) - set(seqs))
        dup += len(seqs) - len(set(seqs))
        if seqs != sorted(set(seqs)):
            disorder += 1
        for t, etype, sid, data in frames:
            if "sent_us" in data:
                delays.append((t - data["sent_us"] / 1e6) * 1000)
        ends = [f for f in frames if f[1] == "end"]
        if len(ends) != 1:
            no_end += 1
        else:
            end_delays.append((ends[0][0] - t_moved) * 1000)
            if ends[0][3].get("last_seq") != seq or ends[0][3].get("status") != "succeeded":
                bad_end += 1
    res = {"clients": clients, "events_written": m, "interval_ms": interval_ms, "run": run,
           "expected_per_client": len(expected), "connect_ms": round(connect_ms, 1),
           "events_min": min(per_client, default=0), "events_max": max(per_client, default=0),
           "lost": lost, "duplicates": dup, "out_of_order_clients": disorder,
           "missing_end": no_end, "wrong_end": bad_end, "client_errors": errors, "stuck": stuck,
           "writer_late": late,
           "server_cpu_pct": round(cpu_s / wall * 100, 1), "clients_cpu_pct": round(own_s / wall * 100, 1),
           "delivery": summary_ms(delays) if delays else None,
           "end_after_move": summary_ms(end_delays) if end_delays else None}
    res["ok"] = (lost == dup == disorder == no_end == bad_end == errors == stuck == 0
                 and len(delays) == clients * m)
    if clients == 0:
        log(f"sse, no clients: the server's cost of {m} event writes to a running run: {res['server_cpu_pct']}% of a core")
        return {k: res[k] for k in ("clients", "events_written", "interval_ms", "server_cpu_pct")}
    log(f"sse {clients} clients: {json.dumps(res)}")
    return res


# MARK: table

def table(path):
    R = json.load(open(path))
    L, big, small = R["list"]["results"], R["start_big"], R["start_small"]
    s1, s100 = R["sse_1"], R["sse_n"]
    n = R["runs"]
    rows = []

    def ratio(a, b):
        return f"{a / b:.1f}×" if a is not None and b else "–"

    def row(measure, a, b, base_label=""):
        fa = f"{a:.1f}" if isinstance(a, float) else str(a)
        fb = f"{b:.1f}" if isinstance(b, float) else str(b)
        rows.append(f"| {measure} | {fa} | {fb} | {ratio(a, b) if isinstance(a, (int, float)) and isinstance(b, (int, float)) else '–'} |")

    row("serve start → `serving` line (index built), ms", big["serving_ms"], small["serving_ms"])
    row("serve start → first list answered, ms", big["first_list_ms"], small["first_list_ms"])
    row("serve RSS after the list rounds, MB", R["rss_big_mb"], R["rss_small_mb"])
    row(f"serve idle CPU, % of a core ({R['idle_seconds']:g} s, nobody asking)", R["idle_big_pct"], R["idle_small_pct"])
    q = R["list"]["q"]
    checks = R["list"]["checks"]
    labels = [
        ("page1", "`GET /runs?limit=50`"),
        ("failed", "`?status=failed&limit=50`"),
        ("search", f"`?q={q}&limit=50`"),
        ("deep", f"`{R['list']['paths']['deep'].split('/api/v1/runs')[1]}`, the last page"),
        ("status", "`GET /status` (counts only)"),
    ]
    for k, label in labels:
        b, s = L[f"big.{k}"], L[f"small.{k}"]
        c = checks[f"big.{k}"]
        note = f" ({c['returned']} of {c['total']})" if "total" in c else ""
        rows.append(f"| {label}{note}, p50 / p99 ms | {b['p50']:.2f} / {b['p99']:.2f} | {s['p50']:.2f} / {s['p99']:.2f} "
                    f"| {ratio(b['p50'], s['p50'])} / {ratio(b['p99'], s['p99'])} |")

    def sse_cell(r, key):
        d = r[key]
        return f"{d['p50']:.0f} / {d['p99']:.0f} / {d['max']:.0f}" if d else "–"

    rows.append(f"| SSE delivery, write → client, p50 / p99 / max ms ({s100['events_written']} events, one per "
                f"{s100['interval_ms']:g} ms) | {sse_cell(s100, 'delivery')} | {sse_cell(s1, 'delivery')} "
                f"| {ratio(s100['delivery']['p50'], s1['delivery']['p50'])} / {ratio(s100['delivery']['p99'], s1['delivery']['p99'])} / "
                f"{ratio(s100['delivery']['max'], s1['delivery']['max'])} |")

    def counts_cell(r):
        bad = [f"{r[k]} {k.replace('_', ' ')}" for k in ("lost", "duplicates", "out_of_order_clients", "missing_end",
                                                        "wrong_end", "client_errors", "stuck") if r[k]]
        got = (f"{r['events_min']}" if r["events_min"] == r["events_max"] else f"{r['events_min']}–{r['events_max']}")
        return f"{got} of {r['expected_per_client']}; " + ("**FAIL: " + ", ".join(bad) + "**" if bad else "all, once, in order")

    rows.append(f"| SSE events per client | {counts_cell(s100)} | {counts_cell(s1)} | |")
    def end_cell(r):
        d = r["end_after_move"]
        return f"{d['p50']:.0f} / {d['max']:.0f}" if d else "–"

    rows.append(f"| SSE `event: end` after the job file moved to done/, p50 / max ms | {end_cell(s100)} | {end_cell(s1)} | |")
    rows.append(f"| serve CPU while streaming, % of a core (the Python clients: {s100['clients_cpu_pct']:.0f}% / "
                f"{s1['clients_cpu_pct']:.0f}%) | {s100['server_cpu_pct']:.0f} | {s1['server_cpu_pct']:.0f} "
                f"| {ratio(s100['server_cpu_pct'], s1['server_cpu_pct'])} |")
    w0, w0s = R["writes_big"], R["writes_small"]
    rows.append(f"| serve CPU for the same event writes with no client at all, % of a core "
                f"| {w0['server_cpu_pct']:.0f} | {w0s['server_cpu_pct']:.0f} (10-run spool) "
                f"| {ratio(w0['server_cpu_pct'], w0s['server_cpu_pct'])} |")
    rows.append(f"| SSE: all clients connected and had the history, ms | {s100['connect_ms']:.0f} | {s1['connect_ms']:.0f} "
                f"| {ratio(s100['connect_ms'], s1['connect_ms'])} |")

    print(f"Machine: {R['cores']} cores, {R['kernel']}, {R['date']}. Binary: {R['binary']}. "
          f"{n} finished runs written in {R['spool_seconds']:.1f} s ({R.get('fs', '?')}); {R['list']['rounds']} rounds of each list request"
          + (f" (of {R['list']['rounds_asked']}: time budget)" if R['list']['rounds'] < R['list']['rounds_asked'] else "") + ".")
    print()
    print(f"| measure | {n} finished runs; {s100['clients']} SSE clients | baseline: 10-run spool; {s1['clients']} SSE client | ratio |")
    print("|---|---|---|---|")
    for r in rows:
        print(r)
    fails = [k for k, c in checks.items() if c.get("ok") is False]
    want = {"big.page1": n, "big.deep": n, "big.failed": R["spool"]["counts"]["failed"]}
    fails += [f"{k} total {checks[k]['total']} (expected {v})" for k, v in want.items() if checks[k]["total"] != v]
    if fails:
        print(f"\n**Wrong list answers: {', '.join(fails)}**")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "table":
        table(*args)
    else:
        fn = {"spool": spool, "ready": ready, "list": list_bench, "sse": sse, "idle": idle}[cmd]
        print(json.dumps(fn(*args)))
