#!/bin/bash
# The HTTP API under load: list latency over 10,000 finished runs and SSE fan-out to 100 clients, each
# against a baseline measured in the same run (a 10-run spool; one SSE client). About 35 s with a release
# build, 2.5 minutes with a debug one (its list rounds stop after 110 s).
#   bench/api.sh
#   AGENT_RUNNER=/path/to/agent-runner bench/api.sh   the binary to measure (default: .build/release, then
#                                                     .build/debug; one without `serve` is skipped). No build.
#   BENCH_RUNS=10000 BENCH_REQUESTS=300 BENCH_CLIENTS=100 BENCH_EVENTS=200 BENCH_INTERVAL_MS=10
#   BENCH_LIST_SECONDS=110 (the list rounds stop early after it) BENCH_IDLE_SECONDS=6
#   BENCH_OUT=FILE                                    also keep the raw JSON results there
#   BENCH_DIR=DIR                                     where the spools go (default /dev/shm, else $TMPDIR or /tmp)
# Prints a markdown table; the raw JSON goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
RUNS=${BENCH_RUNS:-10000}
REQUESTS=${BENCH_REQUESTS:-300}
CLIENTS=${BENCH_CLIENTS:-100}
EVENTS=${BENCH_EVENTS:-200}
INTERVAL_MS=${BENCH_INTERVAL_MS:-10}
QUERY=${BENCH_QUERY:-api-07}   # matches 200 of the 10,000 generated runs (2%)
LIST_SECONDS=${BENCH_LIST_SECONDS:-110}   # the list rounds stop early after this (a debug build needs it)
IDLE_SECONDS=${BENCH_IDLE_SECONDS:-6}

has_serve() { [ -x "$1" ] && "$1" serve --help 2>&1 | grep -q -- '--listen'; }
bin=${AGENT_RUNNER:-}
if [ -z "$bin" ]; then
  for b in "$root/.build/release/agent-runner" "$root/.build/debug/agent-runner"; do
    if has_serve "$b"; then bin=$b; break; fi
    [ -x "$b" ] && echo "skipping $b: it has no \`serve\` (built before the HTTP API?)" >&2
  done
fi
[ -n "$bin" ] && has_serve "$bin" || { echo "no agent-runner with \`serve\` found; build one or set AGENT_RUNNER" >&2; exit 1; }
py="python3 $root/bench/api_bench.py"

# tmpfs by default: this measures the server, not the disk, and deleting the 50,000 files of the big spool
# from ext4 afterwards took 20 to 90 s on the development VM. BENCH_DIR=/tmp puts the spools on disk.
if [ -z "${BENCH_DIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then BENCH_DIR=/dev/shm; fi
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/agent-runner-api-bench.XXXXXX")
pids=()
cleanup() {
  set +e
  for p in "${pids[@]:-}"; do [ -n "$p" ] && { kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; }; done
  rm -rf "$work"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
spool() { # a fresh spool; settle 0 as in bench/run.sh (nothing here is dropped half-written)
  local d=$work/$1; "$bin" init "$d" >/dev/null; printf 'settle: 0s\n' > "$d/config.yaml"; echo "$d"
}
# start NAME SPOOL: `serve` in its own process group (killed by the trap), stdout to $work/NAME.serve.out.
declare -A PID T0
start() {
  T0[$1]=$(now)
  setsid "$bin" serve --spool "$2" --listen 127.0.0.1:0 >"$work/$1.serve.out" 2>"$work/$1.serve.err" &
  pids+=($!); PID[$1]=$!
}
# ready NAME: waits for the `serving` line, then for a list answer; prints the times from the start.
ready() { $py ready "$work/$1.serve.out" "${T0[$1]}" 120 || { cat "$work/$1.serve.err" >&2; return 1; }; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

echo "# $(date -u +%FT%TZ) on $(nproc) cores, $(uname -sr); binary $bin; spools in $work ($(stat -f -c %T "$work"))" >&2

# 1. Spools written directly in the format a worker leaves finished runs in: no jobs are run.
big=$(spool big); small=$(spool small)
spool_big=$($py spool "$big" "$RUNS"); $py spool "$small" 10 >/dev/null
sync  # the write-back of 50,000 new files must not land in the middle of the measurements

# 2. Start-up: the catalog reads every run's events before `serve` listens.
start small "$small"; ready_small=$(ready small)
start big "$big"; ready_big=$(ready big)
echo "start-up: big $ready_big; small $ready_small" >&2

# 3. List latency, both servers interleaved.
list=$($py list "$(field "$ready_big" url)" "$(field "$ready_small" url)" "$REQUESTS" "$QUERY" "$LIST_SECONDS")
rss_big=$(rss_mb "${PID[big]}"); rss_small=$(rss_mb "${PID[small]}")
# The index's upkeep with nobody asking: inotify, plus a full rescan every poll_interval (2 s).
idle=$($py idle "${PID[big]},${PID[small]}" "$IDLE_SECONDS")

# 4. SSE fan-out on the 10,000-run server: one client first (the baseline), then $CLIENTS.
sse_1=$($py sse "$(field "$ready_big" url)" "$big" 1 "$EVENTS" "$INTERVAL_MS" "${PID[big]}")
sse_n=$($py sse "$(field "$ready_big" url)" "$big" "$CLIENTS" "$EVENTS" "$INTERVAL_MS" "${PID[big]}")
# The same writes with nobody subscribed, on both spools: what following a running run costs the index.
writes_big=$($py sse "$(field "$ready_big" url)" "$big" 0 "$EVENTS" "$INTERVAL_MS" "${PID[big]}")
writes_small=$($py sse "$(field "$ready_small" url)" "$small" 0 "$EVENTS" "$INTERVAL_MS" "${PID[small]}")

results=$work/results.json
python3 - "$results" <<PY
import json, sys, os, time
json.dump({
  "runs": $RUNS, "cores": os.cpu_count(), "kernel": os.uname().release, "date": time.strftime("%Y-%m-%d", time.gmtime()),
  "fs": "$(stat -f -c %T "$work")",
  "binary": os.path.relpath("$bin", "$root") if "$bin".startswith("$root") else "$bin",
  "spool_seconds": json.loads('''$spool_big''')["seconds"], "spool": json.loads('''$spool_big'''),
  "start_big": json.loads('''$ready_big'''), "start_small": json.loads('''$ready_small'''),
  "rss_big_mb": float("$rss_big"), "rss_small_mb": float("$rss_small"), "idle_seconds": $IDLE_SECONDS,
  "idle_big_pct": json.loads('''$idle''')["${PID[big]}"], "idle_small_pct": json.loads('''$idle''')["${PID[small]}"],
  "list": json.loads('''$list'''), "sse_1": json.loads('''$sse_1'''), "sse_n": json.loads('''$sse_n'''),
  "writes_big": json.loads('''$writes_big'''), "writes_small": json.loads('''$writes_small'''),
}, open(sys.argv[1], "w"), indent=1)
PY
cat "$results" >&2
[ -n "${BENCH_OUT:-}" ] && cp "$results" "$BENCH_OUT"
echo
$py table "$results"
