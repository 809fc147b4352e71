#!/bin/bash
# A/B of the claim path's cost: two agent-runner binaries, each draining the same queue with
# `worker --drain --claim-only`, in alternating rounds, on a tmpfs (no disk, no ext4 allocator state).
#   bench/ab.sh OLD_BINARY NEW_BINARY     e.g. a release build of the last commit and of this tree
#   AB_N=2000 AB_ROUNDS=7 AB_DURABILITY=none
# Prints a markdown table: median CPU time (user + system, from the kernel's accounting of the drain's
# process and its threads, from wait4(2)) per claim, median wall-clock claims/s, and NEW/OLD ratios.
#
# Why CPU time and not instructions: valgrind 3.19 (Debian 12) dies on Swift 6 binaries (an internal
# SIGSEGV while starting `agent-runner --help`, with or without debug info), and `perf stat` reports
# instructions as "not supported" on these VMs. CPU time counts only the drain's own work, not what the
# other core was doing, so its median over interleaved rounds is much steadier than wall time.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: bench/ab.sh OLD_BINARY NEW_BINARY" >&2; exit 2; }
old=$(realpath "$1"); new=$(realpath "$2")
N=${AB_N:-2000}; ROUNDS=${AB_ROUNDS:-7}; DUR=${AB_DURABILITY:-none}
here=$(cd "$(dirname "$0")" && pwd)
base=/dev/shm; [ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/agent-runner-ab.XXXXXX"); trap 'rm -rf "$work"' EXIT

# One drain: prints "cpu_seconds wall_seconds".
drain() {
  local bin=$1 s=$work/spool
  rm -rf "$s"; "$bin" init "$s" >/dev/null
  printf 'settle: 0s\nconcurrency: 4\ndurability: %s\n' "$DUR" > "$s/config.yaml"
  python3 -c "import sys; sys.path.insert(0, '$here'); import benchlib; benchlib.drop('$s', $N)"
  python3 - "$bin" "$s" > "$work/time" <<'EOF'
import os, sys, time
devnull = os.open(os.devnull, os.O_WRONLY)
t0 = time.monotonic()
pid = os.posix_spawn(sys.argv[1], [sys.argv[1], "worker", "--spool", sys.argv[2], "--drain", "--claim-only"], os.environ,
                     file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
_, status, ru = os.wait4(pid, 0)
wall = time.monotonic() - t0
if status != 0: sys.exit(f"bench/ab.sh: {sys.argv[1]} exited with {status}")
print(f"{ru.ru_utime + ru.ru_stime:.6f} {wall:.6f}")
EOF
  local done; done=$(find "$s/done" -name '*.events.jsonl' | wc -l)
  [ "$done" = "$N" ] || { echo "bench/ab.sh: $bin finished $done of $N jobs" >&2; exit 1; }
  cat "$work/time"
}

declare -a old_cpu old_wall new_cpu new_wall
for r in $(seq 1 "$ROUNDS"); do
  # Alternate which binary goes first, so a drift of the machine's speed hits both alike.
  if [ $((r % 2)) = 1 ]; then order="old new"; else order="new old"; fi
  for which in $order; do
    bin=$old; [ "$which" = new ] && bin=$new
    read -r cpu wall < <(drain "$bin")
    echo "round $r $which: cpu ${cpu}s wall ${wall}s" >&2
    if [ "$which" = old ]; then old_cpu+=("$cpu"); old_wall+=("$wall"); else new_cpu+=("$cpu"); new_wall+=("$wall"); fi
  done
done

python3 - "$N" "${old_cpu[*]}" "${old_wall[*]}" "${new_cpu[*]}" "${new_wall[*]}" "$old" "$new" "$DUR" "$base" <<'EOF'
import statistics as st, sys
n = int(sys.argv[1]); oc, ow, nc, nw = ([float(x) for x in a.split()] for a in sys.argv[2:6])
old, new, dur, base = sys.argv[6:10]
us = lambda xs: st.median(xs) / n * 1e6
rate = lambda xs: n / st.median(xs)
print(f"claim-only drains of {n} jobs, durability {dur}, {len(oc)} interleaved rounds each, queues in {base}\n")
print(f"- OLD: {old}\n- NEW: {new}\n")
print("| binary | CPU µs per claim (median) | min–max | claims/s, wall (median) |")
print("|---|---|---|---|")
for name, c, w in (("OLD", oc, ow), ("NEW", nc, nw)):
    print(f"| {name} | {us(c):.1f} | {min(c)/n*1e6:.1f}–{max(c)/n*1e6:.1f} | {rate(w):.0f} |")
print(f"| NEW / OLD | {us(nc)/us(oc):.2f} | | {rate(nw)/rate(ow):.2f} |")
EOF
