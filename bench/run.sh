#!/bin/bash
# Agent Runner against the file-system queues people use today, in one run on one machine.
#   bench/run.sh              full run (N=10000 jobs, scaling up to 100,000 queued files)
#   BENCH_QUICK=1 bench/run.sh  about two minutes (N=2000, scaling to 10,000)
#   BENCH_N=…                 jobs for the throughput rows
# Prints a markdown table; raw numbers go to bench/results/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
quick=${BENCH_QUICK:-0}
N=${BENCH_N:-$([ "$quick" = 1 ] && echo 2000 || echo 10000)}
SCALES=${BENCH_SCALES:-$([ "$quick" = 1 ] && echo "1000 10000" || echo "1000 10000 100000")}
LAT_RATE=${BENCH_RATE:-200}
LAT_SECONDS=$([ "$quick" = 1 ] && echo 3 || echo 10)
IDLE_SECONDS=$([ "$quick" = 1 ] && echo 3 || echo 10)

scripts/deps.sh --bench
swift build -c release --static-swift-stdlib --product agent-runner >&2
bin=$root/.build/release/agent-runner
lib="python3 $root/bench/benchlib.py"
mkdir -p bench/results
out=bench/results/$(date -u +%Y%m%dT%H%M%SZ).txt
pids=()
# Where the queues live. `loop` (the default where it works: root, mkfs.ext4, loop devices): a fresh ext4
# image with mkfs's defaults (journaled), mounted for this run, so every row starts on the same clean
# file system. `tmp`: a folder in $TMPDIR, whatever file system that is. On the development VM that is an
# ext4 without a journal, where the inode allocator skips recently deleted inodes one by one
# (`recently_deleted` in fs/ext4/ialloc.c, only without a journal): after any mass deletion, every
# queue that creates files pays for it, and the numbers swing by 2× from run to run.
FS=${BENCH_FS:-loop}
image=""; mnt=""
if [ "$FS" = loop ]; then
  image=$(mktemp "${TMPDIR:-/tmp}/agent-runner-bench.XXXXXX.img"); mnt=$(mktemp -d "${TMPDIR:-/tmp}/agent-runner-bench.mnt.XXXXXX")
  if truncate -s 24G "$image" && mkfs.ext4 -q -F -N 3000000 -E lazy_itable_init=0,lazy_journal_init=0 "$image" >/dev/null 2>&1 \
     && mount -o loop "$image" "$mnt" 2>/dev/null; then
    work=$mnt/work; mkdir -p "$work"; fs_note="a fresh ext4 image (mkfs.ext4 defaults, journaled), loop-mounted"
  else
    echo "bench: cannot make and mount an ext4 image (needs root and loop devices); using \$TMPDIR (BENCH_FS=tmp)" >&2
    rm -f "$image"; rmdir "$mnt"; image=""; mnt=""; FS=tmp
  fi
fi
if [ "$FS" = tmp ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/agent-runner-bench.XXXXXX")
  fs_note="$(findmnt -n -o FSTYPE,OPTIONS --target "$work" | cut -c1-60) at $(findmnt -n -o TARGET --target "$work")"
fi
cleanup() {
  set +e
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -- "-$p" 2>/dev/null; kill "$p" 2>/dev/null; done
  TS_SOCKET=$work/tsp.sock tsp -K 2>/dev/null || true
  if [ -n "$mnt" ]; then umount "$mnt" && rmdir "$mnt" && rm -f "$image"; else rm -rf "$work"; fi
  return 0
}
trap cleanup EXIT

now() { date +%s.%N; }
rate() { python3 -c "import sys; n,a,b=float(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]); print(f'{n/(b-a):.0f}')" "$@"; }
spool() { # a fresh spool with settle 0 (files arrive by rename, complete) and the given durability
  local d=$work/$1; rm -rf "$d"; "$bin" init "$d" >/dev/null
  printf 'settle: 0s\nconcurrency: 4\ndurability: %s\n' "${2:-fsync}" > "$d/config.yaml"; echo "$d"
}
start_bg() { setsid "$@" >/dev/null 2>&1 & pids+=($!); echo $!; }
stop_bg() { kill -- "-$1" 2>/dev/null || kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

declare -A R
log() { echo "$*" | tee -a "$out" >&2; }
log "# $(date -u +%FT%TZ) on $(nproc) cores, $(uname -sr), N=$N"

# 1. End to end: N no-op jobs from drop to done/ with events written, consumer already running.
for durability in fsync none; do
  s=$(spool "e2e-$durability" "$durability")
  w=$(start_bg "$bin" worker --spool "$s"); sleep 0.5
  t0=$(now); $lib drop "$s" "$N"; $lib wait "$s/done" .events.jsonl "$N" 600; t1=$(now)
  stop_bg "$w"; R[e2e_ar_$durability]=$(rate "$N" "$t0" "$t1"); log "agent-runner e2e ($durability): ${R[e2e_ar_$durability]}/s"
done
s=$(spool e2e-mv); w=$(start_bg bench/baselines/inotify-mv.sh "$s"); sleep 0.5
t0=$(now); $lib drop "$s" "$N"; $lib wait "$s/done" .events.jsonl "$N" 600 || true; t1=$(now); stop_bg "$w"
R[e2e_mv]=$(rate "$(ls "$s/done" | grep -c events.jsonl)" "$t0" "$t1"); log "inotifywait+mv e2e: ${R[e2e_mv]}/s"
# nq makes every queued job wait on the locks of all earlier ones (quadratic), so it gets at most 2,000.
NQ_N=$(( N < 2000 ? N : 2000 ))
export NQDIR=$work/nq; mkdir -p "$NQDIR"
t0=$(now); for i in $(seq "$NQ_N"); do nq -q true; done; nq -w >/dev/null 2>&1 || true; t1=$(now)
R[e2e_nq]=$(rate "$NQ_N" "$t0" "$t1"); log "nq e2e ($NQ_N jobs): ${R[e2e_nq]}/s"; unset NQDIR
# tsp writes each job's output to a file in $TMPDIR: keep those on the same file system (and cleaned up).
mkdir -p "$work/tsp-out"
export TS_SOCKET=$work/tsp.sock TS_MAXFINISHED=$((N + 10)) TS_SLOTS=4
TMPDIR=$work/tsp-out tsp -S 4 >/dev/null
t0=$(now); for i in $(seq "$N"); do TMPDIR=$work/tsp-out tsp true >/dev/null; done; tsp -w >/dev/null 2>&1 || true; t1=$(now)
R[e2e_tsp]=$(rate "$N" "$t0" "$t1"); log "tsp e2e: ${R[e2e_tsp]}/s"; tsp -K 2>/dev/null || true; unset TS_SOCKET

# 2. Claim only: the queue's own cost (agent-runner --claim-only claims and finishes without running
#    anything; the baseline only moves the file to cur/). Jobs are queued first, then the consumer drains.
s=$(spool claim)
$lib drop "$s" "$N"; t0=$(now); "$bin" worker --spool "$s" --drain --claim-only 2>/dev/null; t1=$(now)
R[claim_ar]=$(rate "$N" "$t0" "$t1"); log "agent-runner claim-only: ${R[claim_ar]}/s"
s=$(spool claim-mv); w=$(MODE=claim start_bg bench/baselines/inotify-mv.sh "$s"); sleep 0.5
t0=$(now); $lib drop "$s" "$N"; $lib wait "$s/cur" .yaml "$N" 600 || true; t1=$(now); stop_bg "$w"
R[claim_mv]=$(rate "$N" "$t0" "$t1"); log "inotifywait+mv claim-only: ${R[claim_mv]}/s"

# 3. Drop-to-claim latency at a steady drop rate: three rounds each, alternating, the median round reported
#    (one stall of a shared VM otherwise decides the p99).
lat_ar=(); lat_mv=()
for round in 1 2 3; do
  s=$(spool "lat-$round"); w=$(start_bg "$bin" worker --spool "$s"); sleep 0.5
  lat_ar+=("$($lib latency "$s" "$LAT_RATE" "$LAT_SECONDS")"); stop_bg "$w"; log "agent-runner latency: ${lat_ar[-1]}"
  s=$(spool "lat-mv-$round"); w=$(start_bg bench/baselines/inotify-mv.sh "$s"); sleep 0.5
  lat_mv+=("$($lib latency "$s" "$LAT_RATE" "$LAT_SECONDS")"); stop_bg "$w"; log "inotifywait+mv latency: ${lat_mv[-1]}"
done
median() { python3 -c "import json,sys; r=sorted((json.loads(a) for a in sys.argv[1:]), key=lambda x: x['p99']); print(json.dumps(r[len(r)//2]))" "$@"; }
R[lat_ar]=$(median "${lat_ar[@]}"); R[lat_mv]=$(median "${lat_mv[@]}")

# 4. Claim cost against the number of queued files. Each round queues K files in a fresh spool, `sync`s
#    (the writer's own flush is not the queue's cost), then times `worker --drain --claim-only` plus a
#    final `sync` (the drain's own writes reach the disk, whatever K), less the same on an empty spool.
#    Nothing is deleted between rounds. From the events: how long the start-up scan held back the first
#    claim, and the claim rate over the first SCALE_FIRST claims, while the queue is still K long.
#    Rounds interleave the queue lengths, each round starting one length further on (1k 10k 100k, then
#    10k 100k 1k, then 100k 1k 10k), so no length always runs right after the 100,000-file round and its
#    writeback; each row is the median of the rounds.
SCALE_ROUNDS=${BENCH_SCALE_ROUNDS:-$([ "$quick" = 1 ] && echo 1 || echo 3)}
SCALE_FIRST=2000
declare -A SC
for round in $(seq "$SCALE_ROUNDS"); do
  s=$(spool "scale-empty-$round" none); sync; t0=$(now); "$bin" worker --spool "$s" --drain --claim-only 2>/dev/null; sync; t1=$(now)
  empty=$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" "$t1")
  read -r -a order <<< "$SCALES"
  shift_by=$(( (round - 1) % ${#order[@]} ))
  for k in "${order[@]:$shift_by}" "${order[@]:0:$shift_by}"; do
    s=$(spool "scale-$k-$round" none)
    $lib drop "$s" "$k"; sync; sleep 1
    t0=$(now); "$bin" worker --spool "$s" --drain --claim-only 2>/dev/null; sync; t1=$(now)
    us=$(python3 -c "import sys; print(f'{max(0.0, float(sys.argv[2])-float(sys.argv[1])-float(sys.argv[4]))*1e6/int(sys.argv[3]):.1f}')" "$t0" "$t1" "$k" "$empty")
    c=$($lib claims "$s/done" "$t0" "$SCALE_FIRST")
    SC[$k]+="$us $(python3 -c "import json,sys; c=json.loads(sys.argv[1]); print(f\"{c['per_claim_us']:.1f} {c['first_claim_ms']:.0f}\")" "$c");"
    log "scale $k round $round: drain $us us/job; $c"
  done
done
scale_rows=$(python3 - "$SCALE_FIRST" $SCALES <<PY
import statistics, sys
first, scales = int(sys.argv[1]), sys.argv[2:]
rows = {k: [tuple(map(float, r.split())) for r in v.split(";") if r.strip()] for k, v in
        (kv.split("=", 1) for kv in """$(for k in $SCALES; do echo "$k=${SC[$k]}"; done)""".splitlines() if kv)}
med = {k: [statistics.median(col) for col in zip(*rows[k])] for k in scales}
b = med[scales[0]]
for k in scales:
    d, c, f = med[k]
    print(f"| {int(k):,} queued | {d:.0f} µs/job | {d / b[0]:.2f}× | {c:.0f} µs/claim | {c / b[1]:.2f}× | {f:.0f} ms |")
PY
)

# 5. Idle CPU and memory.
s=$(spool idle); w=$(start_bg "$bin" worker --spool "$s"); sleep 1
R[idle_ar]=$($lib idle "$w" "$IDLE_SECONDS"); stop_bg "$w"
s=$(spool idle-mv); w=$(start_bg bench/baselines/inotify-mv.sh "$s"); sleep 1
R[idle_mv]=$($lib idle "$w" "$IDLE_SECONDS"); stop_bg "$w"
log "idle: agent-runner ${R[idle_ar]}, inotifywait+mv ${R[idle_mv]}"

j() { python3 -c "import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print(f'{v:.2f}' if isinstance(v,float) else v)" "$1" "$2"; }
x() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.1f}×' if b else '–')" "$1" "$2"; }
cat <<TABLE | tee -a "$out"

Machine: $(nproc) cores, $(uname -r), $(date -u +%F). N = $N no-op jobs. Queues on $fs_note. Debug output in $out.

| measure | agent-runner | inotifywait+mv | nq ($NQ_N jobs) | tsp | agent-runner vs others |
|---|---|---|---|---|---|
| end to end, jobs/s (durability fsync) | ${R[e2e_ar_fsync]} | ${R[e2e_mv]} | ${R[e2e_nq]} | ${R[e2e_tsp]} | $(x "${R[e2e_ar_fsync]}" "${R[e2e_nq]}") nq, $(x "${R[e2e_ar_fsync]}" "${R[e2e_tsp]}") tsp, $(x "${R[e2e_ar_fsync]}" "${R[e2e_mv]}") mv loop |
| end to end, jobs/s (durability none) | ${R[e2e_ar_none]} | | | | |
| claim only, jobs/s | ${R[claim_ar]} | ${R[claim_mv]} | | | $(x "${R[claim_ar]}" "${R[claim_mv]}") mv loop |
| drop→claim p50, ms (${LAT_RATE}/s, median of 3 rounds) | $(j "${R[lat_ar]}" p50) | $(j "${R[lat_mv]}" p50) | | | |
| drop→claim p99, ms | $(j "${R[lat_ar]}" p99) | $(j "${R[lat_mv]}" p99) | | | |
| idle CPU, % of a core | $(j "${R[idle_ar]}" cpu_pct) | $(j "${R[idle_mv]}" cpu_pct) | | | |
| idle RSS, kB | $(j "${R[idle_ar]}" rss_kb) | $(j "${R[idle_mv]}" rss_kb) | | | |

Claim cost against queue length (claim-only, durability none, median of $SCALE_ROUNDS round(s)):

| queue | whole drain incl. final sync | ratio | first $SCALE_FIRST claims | ratio | start-up scan before the first claim |
|---|---|---|---|---|---|
$scale_rows
TABLE
