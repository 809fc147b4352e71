"""Sub-jobs: one parent fanning out to N children and waiting for all of them (bench/children.sh).

Prints a markdown table: spawn throughput (the parent's step running `agent-runner spawn` N times), how
long the parent took to be released after its last child finished, and how long from the release to its
next claim, with inotify and with polling only; and a worker's CPU while a parent waits."""
import json, os, subprocess, sys, tempfile, time

BIN = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
EDGES = int(sys.argv[3]) if len(sys.argv) > 3 else 100
POLL = 1.0

def events(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]

def ts(e):
    from datetime import datetime
    return datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()

def spool(root, config):
    subprocess.run([BIN, "init", root], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(root, "config.yaml"), "w") as f:
        f.write(config)

def fan_out(base, watch):
    root = os.path.join(base, f"fan-{watch}")
    # One slot: the parent holds it while it spawns, so every child runs after the parent parked.
    spool(root, f"settle: 0s\npoll_interval: {POLL}s\nconcurrency: 1\ndurability: fsync\n")
    child = os.path.join(base, "child.yaml")
    with open(child, "w") as f:
        f.write("steps: []\n")
    job = ("steps:\n"
           f"  - run: i=0; while [ $i -lt {N} ]; do {BIN} spawn {child} --key $i --max-children {N} >/dev/null || exit 1; i=$((i+1)); done\n"
           "  - wait: all\n    timeout: 1h\n")
    run = subprocess.run([BIN, "submit", "-", "--spool", root], input=job.encode(), check=True, capture_output=True).stdout.decode().strip()
    subprocess.run([BIN, "worker", "--spool", root, "--drain", "--watch", watch], check=True, stderr=subprocess.DEVNULL)
    ev = events(os.path.join(root, "done", run + ".events.jsonl"))
    step1 = next(e for e in ev if e["type"] == "step.finished" and e["step"] == 1)
    released = next(e for e in ev if e["type"] == "wait.released")
    claims = [e for e in ev if e["type"] == "claimed"]
    last_child = max(ts(events(os.path.join(root, "done", f))[-1])
                     for f in os.listdir(os.path.join(root, "done")) if f.endswith(".events.jsonl") and not f.startswith(run))
    assert len([f for f in os.listdir(os.path.join(root, "done")) if f.endswith(".yaml")]) == N + 1
    return {
        "spawn_per_s": N / step1["duration"],
        "release_ms": (ts(released) - last_child) * 1000,
        "claim_ms": (ts(claims[-1]) - ts(released)) * 1000,
    }

def edges(base, watch, rounds):
    """One parent, one child, `rounds` times on one running worker: from the child's `finished` to the
    parent's next `claimed` (released and claimed again), the latency of one edge of a chain."""
    root = os.path.join(base, f"edge-{watch}")
    spool(root, f"settle: 0s\npoll_interval: {POLL}s\nconcurrency: 1\ndurability: fsync\n")
    child = os.path.join(base, "edge-child.yaml")
    with open(child, "w") as f:
        f.write("steps: []\n")
    job = f"steps:\n  - run: {BIN} spawn {child} --key only >/dev/null\n  - wait: all\n"
    w = subprocess.Popen([BIN, "worker", "--spool", root, "--watch", watch], stderr=subprocess.DEVNULL)
    out = []
    try:
        for _ in range(rounds):
            run = subprocess.run([BIN, "submit", "-", "--spool", root], input=job.encode(), check=True,
                                 capture_output=True).stdout.decode().strip()
            done = os.path.join(root, "done", run + ".yaml")
            end = time.time() + 30
            while not os.path.exists(done) and time.time() < end:
                time.sleep(0.005)
            ev = events(os.path.join(root, "done", run + ".events.jsonl"))
            child_id = next(e["child"] for e in ev if e["type"] == "child.spawned")
            finished = ts(events(os.path.join(root, "done", child_id + ".events.jsonl"))[-1])
            out.append((ts([e for e in ev if e["type"] == "claimed"][-1]) - finished) * 1000)
    finally:
        w.terminate()
        w.wait()
    out.sort()
    return out[len(out) // 2], out[min(len(out) - 1, int(len(out) * 0.99))]

def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])

def waiting_cpu(base, seconds=5):
    root = os.path.join(base, "idle-wait")
    spool(root, f"settle: 0s\npoll_interval: {POLL}s\nconcurrency: 1\n")
    child = os.path.join(base, "sleeper.yaml")
    with open(child, "w") as f:
        f.write(f"steps:\n  - run: sleep {seconds + 2}\n")
    job = f"steps:\n  - run: {BIN} spawn {child} --key only\n  - wait: all\n"
    run = subprocess.run([BIN, "submit", "-", "--spool", root], input=job.encode(), check=True, capture_output=True).stdout.decode().strip()
    w = subprocess.Popen([BIN, "worker", "--spool", root], stderr=subprocess.DEVNULL)
    try:
        end = time.time() + 20
        while not os.path.exists(os.path.join(root, "wait", run + ".yaml")) and time.time() < end:
            time.sleep(0.02)
        t0 = cpu_ticks(w.pid)
        time.sleep(seconds)
        busy = (cpu_ticks(w.pid) - t0) / os.sysconf("SC_CLK_TCK")
    finally:
        w.terminate()
        w.wait()
    return busy / seconds * 100

with tempfile.TemporaryDirectory(prefix="ar-bench-children-") as base:
    rows = [(w, fan_out(base, w)) for w in ("inotify", "poll")]
    edge_rows = [(w, edges(base, w, EDGES)) for w in ("inotify", "poll")]
    cpu = waiting_cpu(base)
print(f"| {N} children, concurrency 1 | spawns/s (CLI, fsync) | last child finished → parent released | release → parent claimed |")
print("|---|---|---|---|")
for watch, r in rows:
    print(f"| worker --watch={watch} (poll {POLL:g}s) | {r['spawn_per_s']:.0f} | {r['release_ms']:.1f} ms | {r['claim_ms']:.1f} ms |")
print()
print(f"| one parent, one child, {EDGES} rounds | child finished → parent claimed again, p50 | p99 |")
print("|---|---|---|")
for watch, (p50, p99) in edge_rows:
    print(f"| worker --watch={watch} (poll {POLL:g}s) | {p50:.1f} ms | {p99:.1f} ms |")
print()
print(f"A worker whose only run is a parent parked in wait/ (its child sleeping elsewhere): {cpu:.2f}% of one CPU over 5 s.")
