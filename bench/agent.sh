#!/bin/bash
# Agent-run overhead and libgit2 commits, in one run on one machine. Prints a markdown table.
#   bench/agent.sh             TURNS=300 agent turns, a 10,000-file tree, 3 rounds each
# 1. Runner overhead per agent turn (event writes, tool dispatch, no model): a scripted job of TURNS
#    turns, each a small write_file, with git off; then the same with a commit after every turn.
# 2. A commit of a 10,000-file tree: `agent-runner git-commit` (libgit2) against `git add -A && git commit`,
#    first commit and an incremental one (10 files changed), median of 3 on fresh copies.
set -euo pipefail
cd "$(dirname "$0")/.."
TURNS=${TURNS:-300}
FILES=${FILES:-10000}
scripts/deps.sh --bench >/dev/null
swift build -c release --static-swift-stdlib --product agent-runner >&2
bin=$PWD/.build/release/agent-runner
work=$(mktemp -d "${TMPDIR:-/tmp}/agent-runner-agentbench.XXXXXX")
trap 'rm -rf "$work"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now_ms() { date +%s%N | awk '{printf "%.3f", $1/1e6}'; }

job() { # $1 = commit mode
  echo "workspace: ws"
  echo "git: {commit: $1}"
  echo "agent:"
  echo "  provider: scripted"
  echo "  prompt: bench"
  echo "  max_steps: $((TURNS + 1))"
  echo "  script:"
  for i in $(seq 1 "$TURNS"); do
    echo "    - tool: write_file"
    echo "      args: {path: f$((i % 20)).txt, content: \"turn $i\"}"
  done
  echo "    - say: done"
}

per_turn() { # $1 = commit mode, $2 = durability → ms per turn (median of 3)
  for r in 1 2 3; do
    spool=$work/spool-$1-$2-$r
    "$bin" init "$spool" >/dev/null
    printf 'durability: %s\nsettle: 0s\n' "$2" > "$spool/config.yaml"
    job "$1" > "$spool/new/bench.yaml"
    "$bin" worker --spool "$spool" --drain 2>/dev/null
    python3 - "$spool" "$TURNS" <<'PY'
import json, sys, glob
ev = [json.loads(l) for f in glob.glob(sys.argv[1] + "/done/*.events.jsonl") for l in open(f)]
first = next(e for e in ev if e["type"] == "agent.started")["ts"]
last = next(e for e in ev if e["type"] == "step.finished")["ts"]
from datetime import datetime
t = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
print("%.3f" % ((t(last) - t(first)) * 1000 / (int(sys.argv[2]) + 1)))
PY
  done | median
}

echo "measuring agent turns ($TURNS per run)…" >&2
off_fsync=$(per_turn off fsync)
off_none=$(per_turn off none)
step_fsync=$(per_turn step fsync)

echo "building a $FILES-file tree…" >&2
mkdir -p "$work/tree"
python3 - "$work/tree" "$FILES" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%03d" % (i % 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d.txt" % i), "w") as f: f.write("line %d\n" % i * 5)
PY
git_cli() { git -C "$1" -c gc.auto=0 add -A && git -C "$1" -c gc.auto=0 -c user.name=b -c user.email=b@b commit -q -m x; }
touch10() { for i in 0 1 2 3 4 5 6 7 8 9; do echo changed >> "$1/d00$i/f0000$i.txt"; done; }
declare -a lib_first cli_first lib_inc cli_inc in_first in_inc
# `git-commit` prints the time spent inside the process (what an agent run, which commits in the worker, pays).
inproc() { awk '{print $(NF-1)}'; }
for r in 1 2 3; do
  rm -rf "$work/a" "$work/b"; cp -R "$work/tree" "$work/a"; cp -R "$work/tree" "$work/b"
  git init -q "$work/b"
  t0=$(now_ms); out=$("$bin" git-commit "$work/a"); t1=$(now_ms); lib_first+=("$(awk "BEGIN{print $t1 - $t0}")")
  in_first+=("$(echo "$out" | inproc)")
  t0=$(now_ms); git_cli "$work/b"; t1=$(now_ms); cli_first+=("$(awk "BEGIN{print $t1 - $t0}")")
  touch10 "$work/a"; touch10 "$work/b"
  t0=$(now_ms); out=$("$bin" git-commit "$work/a"); t1=$(now_ms); lib_inc+=("$(awk "BEGIN{print $t1 - $t0}")")
  in_inc+=("$(echo "$out" | inproc)")
  t0=$(now_ms); git_cli "$work/b"; t1=$(now_ms); cli_inc+=("$(awk "BEGIN{print $t1 - $t0}")")
done
m() { printf '%s\n' "$@" | median; }
lf=$(m "${lib_first[@]}"); cf=$(m "${cli_first[@]}"); li=$(m "${lib_inc[@]}"); ci=$(m "${cli_inc[@]}")
inf=$(m "${in_first[@]}"); ini=$(m "${in_inc[@]}")
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }

echo
echo "| measure | value | target |"
echo "|---|---:|---|"
echo "| runner overhead per agent turn, git off, fsync (events + tool dispatch) | ${off_fsync} ms | < 1 ms |"
echo "| the same, durability: none | ${off_none} ms | |"
echo "| per agent turn with a libgit2 commit after each turn, fsync | ${step_fsync} ms | |"
echo "| first commit of $FILES files: libgit2 (agent-runner git-commit, incl. process start) | ${lf} ms | |"
echo "| first commit of $FILES files: git add -A && git commit | ${cf} ms | |"
echo "| ratio libgit2 / git CLI, first commit | $(ratio "$lf" "$cf") | ≤ 1 |"
echo "| first commit: libgit2 inside the process (as in a run) | ${inf} ms | |"
echo "| ratio libgit2 in-process / git CLI, first commit | $(ratio "$inf" "$cf") | ≤ 1 |"
echo "| incremental commit (10 files changed): libgit2 | ${li} ms | |"
echo "| incremental commit (10 files changed): git CLI | ${ci} ms | |"
echo "| ratio libgit2 / git CLI, incremental | $(ratio "$li" "$ci") | ≤ 1 |"
echo "| incremental commit: libgit2 inside the process (as in a run) | ${ini} ms | |"
echo "| ratio libgit2 in-process / git CLI, incremental | $(ratio "$ini" "$ci") | ≤ 1 |"
