"""The synthetic spools bench/api.sh measures: finished runs written straight into done/, and one running
run for the SSE fan-out, in the format a worker leaves them. Standard library only."""
import json, os, random, sys, time

HOST = "bench"
COMPONENTS = ["web", "api", "worker", "docs", "cli"]
KINDS = ["build", "test", "lint", "deploy"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def rfc3339(t):
    """2026-11-25T02:15:30.123Z, like the real events."""
    ms = int(round(t * 1000))
    s, ms = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + f".{ms:03d}Z"


def run_id(t, rng):
    """20261125T091052535Z-48d7322361-bench: UTC to the millisecond, 40 random bits, host."""
    ms = int(t * 1000)
    s, ms = divmod(ms, 1000)
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(s)) + f"{ms:03d}Z-{rng.getrandbits(40):010x}-{HOST}"


def event(t, seq, run, type_, **fields):
    d = {"ts": rfc3339(t), "seq": seq, "run": run, "type": type_}
    d.update(fields)
    return json.dumps(d, separators=(",", ":"), ensure_ascii=False) + "\n"


def write_file(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, data.encode())
    finally:
        os.close(fd)


def project(i):
    return f"{COMPONENTS[i % len(COMPONENTS)]}-{(i * 7) % 50:02d}"


# MARK: spool

def spool(d, n):
    """N finished runs, oldest first, in the format a worker leaves them (see a real done/ run)."""
    n = int(n)
    rng = random.Random(20261125)
    done = os.path.join(d, "done")
    t = time.time() - n * 30 - 3600  # one run every ~30 s, ending an hour ago
    t0 = time.monotonic()
    counts = {"succeeded": 0, "failed": 0}
    for i in range(n):
        t += 30 + rng.random()
        run = run_id(t, rng)
        proj, kind = project(i), KINDS[i % len(KINDS)]
        failed = i % 7 == 3
        counts["failed" if failed else "succeeded"] += 1
        name = f"{kind}-{proj}.yaml"
        command = f"make -C {proj} {kind}"
        job = (f"title: {kind} {proj}\nlabels: [{kind}, {proj.split('-')[0]}]\n"
               f"steps:\n  - name: {kind}\n    run: {command}\n")
        write_file(os.path.join(done, run + ".yaml"), job)
        worker = f"{HOST}-{1000 + i % 4}-{0x1a2b3c4d + i % 4:08x}"
        claim = t + 0.05 + rng.random() * 0.2
        step_t = claim + 0.002
        dur = 0.5 + rng.random() * 20
        out_lines = [f"{kind}ing {proj}\n", f"compiled {rng.randint(5, 200)} files\n"]
        arts = [f"step-01-{kind}.stdout", f"step-01-{kind}.stderr"]
        ev = [
            event(t, 1, run, "queued", name=name, by=f"{HOST}-900-0badcafe"),
            event(claim, 2, run, "claimed", attempt=1, worker=worker, host=HOST, pid=1000 + i % 4),
            event(claim, 3, run, "started", title=f"{kind} {proj}", attempt=1, steps=1, priority=0,
                  labels=[kind, proj.split("-")[0]], workspace=f"{d}/workspaces/{run}"),
            event(step_t, 4, run, "step.started", step=1, name=kind, command=command, line=4),
        ]
        seq = 5
        for line in out_lines:
            ev.append(event(step_t + 0.001 * seq, seq, run, "step.output", step=1, stream="stdout", text=line))
            seq += 1
        if failed:
            ev.append(event(step_t + 0.01, seq, run, "step.output", step=1, stream="stderr", text="error: test suite failed\n"))
            seq += 1
        end = step_t + dur
        out_bytes = sum(len(x) for x in out_lines)
        err_bytes = 25 if failed else 0
        if failed:
            ev.append(event(end, seq, run, "step.finished", step=1, name=kind, ok=False, outcome="exit 2", exit_code=2,
                            duration=round(dur, 3), stdout_bytes=out_bytes, stderr_bytes=err_bytes, artifacts=arts))
            ev.append(event(end, seq + 1, run, "finished", status="failed", duration=round(end - claim, 3),
                            reason=f"step 1 ({kind}) failed: exit 2"))
        else:
            ev.append(event(end, seq, run, "step.finished", step=1, name=kind, ok=True, outcome="exit 0", exit_code=0,
                            duration=round(dur, 3), stdout_bytes=out_bytes, stderr_bytes=err_bytes, artifacts=arts))
            ev.append(event(end, seq + 1, run, "finished", status="succeeded", duration=round(end - claim, 3)))
        write_file(os.path.join(done, run + ".events.jsonl"), "".join(ev))
        ad = os.path.join(done, run + ".artifacts")
        os.mkdir(ad)
        write_file(os.path.join(ad, arts[0]), "".join(out_lines))
        write_file(os.path.join(ad, arts[1]), "error: test suite failed\n" if failed else "")
    secs = time.monotonic() - t0
    log(f"spool: {n} runs in {secs:.1f}s")
    return {"runs": n, "seconds": round(secs, 2), "counts": counts}


# MARK: http


def make_running(d, rng):
    """A run a worker would be running: cur/RUN.yaml plus its events so far (no lease: nobody heartbeats
    it, but only a worker's recovery would look at that, and none runs on this spool)."""
    t = time.time()
    run = run_id(t, rng)
    cur = os.path.join(d, "cur")
    write_file(os.path.join(cur, run + ".yaml"), "title: sse fan-out\nsteps:\n  - name: stream\n    run: ./stream.sh\n")
    write_file(os.path.join(cur, run + ".events.jsonl"), "".join([
        event(t, 1, run, "queued", name="sse.yaml", by=f"{HOST}-900-0badcafe"),
        event(t, 2, run, "claimed", attempt=1, worker=f"{HOST}-901-0badcafe", host=HOST, pid=901),
        event(t, 3, run, "started", title="sse fan-out", attempt=1, steps=1, priority=0, workspace=f"{d}/workspaces/{run}"),
        event(t, 4, run, "step.started", step=1, name="stream", command="./stream.sh", line=3),
    ]))
    return run, 4
