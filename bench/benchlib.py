"""Helpers for bench/run.sh: dropping files, waiting for counts, inotify latency, idle usage."""
import ctypes, ctypes.util, os, struct, sys, time, json, select

JOB = b"steps: []\n"

def drop(spool, n, prefix="job"):
    """Stage n no-op jobs in tmp/ and rename them into new/ as fast as possible."""
    tmp, new = os.path.join(spool, "tmp"), os.path.join(spool, "new")
    for i in range(n):
        name = f"{prefix}-{i:06d}.yaml"
        p = os.path.join(tmp, name)
        with open(p, "wb") as f:
            f.write(JOB)
        os.rename(p, os.path.join(new, name))

def count(folder, suffix):
    with os.scandir(folder) as it:
        return sum(1 for e in it if e.name.endswith(suffix))

def wait_count(folder, suffix, n, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if count(folder, suffix) >= n:
            return True
        time.sleep(0.02)
    return False

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
IN_MOVED_FROM = 0x40

def latency(spool, rate, seconds):
    """Drop files at a steady rate; time from each rename into new/ to its rename out of new/ (the claim)."""
    new, tmp = os.path.join(spool, "new"), os.path.join(spool, "tmp")
    fd = libc.inotify_init1(os.O_NONBLOCK)
    libc.inotify_add_watch(fd, new.encode(), IN_MOVED_FROM)
    dropped, claimed = {}, {}
    total = int(rate * seconds)
    interval = 1.0 / rate
    start = time.monotonic()
    i = 0
    def read_events():
        try:
            buf = os.read(fd, 65536)
        except BlockingIOError:
            return
        now = time.monotonic_ns()
        off = 0
        while off < len(buf):
            wd, mask, cookie, ln = struct.unpack_from("iIII", buf, off)
            name = buf[off + 16: off + 16 + ln].rstrip(b"\0").decode()
            off += 16 + ln
            claimed.setdefault(name, now)
    while i < total or len(claimed) < total:
        now = time.monotonic()
        if i < total and now >= start + i * interval:
            name = f"lat-{i:06d}.yaml"
            p = os.path.join(tmp, name)
            with open(p, "wb") as f:
                f.write(JOB)
            t = time.monotonic_ns()
            os.rename(p, os.path.join(new, name))
            dropped[name] = t
            i += 1
            continue
        r, _, _ = select.select([fd], [], [], max(0.0, min(interval, start + i * interval - now)) if i < total else 0.5)
        if r:
            read_events()
        elif i >= total and time.monotonic() > start + seconds + 10:
            break
    os.close(fd)
    lat = sorted((claimed[n] - t) / 1e6 for n, t in dropped.items() if n in claimed)
    if not lat:
        return {"p50": float("nan"), "p99": float("nan"), "n": 0}
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
    return {"p50": q(0.50), "p99": q(0.99), "n": len(lat), "missed": total - len(lat)}

def idle(pid, seconds):
    """CPU (% of one core) and RSS (kB) of a process tree over an idle period."""
    tree = lambda: [pid] + children(pid)
    c0 = sum(cpu_of(p) for p in tree())
    time.sleep(seconds)
    c1 = sum(cpu_of(p) for p in tree())
    return {"cpu_pct": 100 * (c1 - c0) / seconds, "rss_kb": sum(rss_of(p) for p in tree())}

def rss_of(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0

def cpu_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except FileNotFoundError:
        return 0.0

def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                if ppid == pid:
                    out.append(int(d))
                    out += children(int(d))
            except (FileNotFoundError, ProcessLookupError):
                pass
    return out

def claims(done, t0, first):
    """From the `claimed` events in done/: ms from t0 (epoch seconds) to the first claim, and the mean
    µs per claim over the first `first` claims (the cost of a claim while the queue is still that long)."""
    from datetime import datetime
    ts = []
    with os.scandir(done) as it:
        for e in it:
            if e.name.endswith(".events.jsonl"):
                with open(e.path, "rb") as f:
                    for line in f:
                        if b'"type":"claimed"' in line:
                            ts.append(datetime.fromisoformat(json.loads(line)["ts"].replace("Z", "+00:00")).timestamp())
                            break
    ts.sort()
    m = min(first, len(ts))
    return {"first_claim_ms": 1e3 * (ts[0] - t0), "per_claim_us": 1e6 * (ts[m - 1] - ts[0]) / max(1, m - 1), "claims": len(ts)}

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "drop":
        drop(sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "job")
    elif cmd == "wait":
        ok = wait_count(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
        sys.exit(0 if ok else 1)
    elif cmd == "latency":
        print(json.dumps(latency(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))))
    elif cmd == "claims":
        print(json.dumps(claims(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))))
    elif cmd == "idle":
        print(json.dumps(idle(int(sys.argv[2]), float(sys.argv[3]))))
