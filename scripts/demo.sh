#!/bin/sh
# Installs the build dependencies, builds agent-runner, and drains a copy of spool-example/ with one
# worker, offline. Then shows the runs and the events of one of them. The copy is left in a temporary
# folder so you can look around (its path is printed at the end).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
swift build --product agent-runner
bin=.build/debug/agent-runner
work=$(mktemp -d "${TMPDIR:-/tmp}/agent-runner-demo.XXXXXX")
cp -R spool-example "$work/spool"
spool="$work/spool"

echo "== worker --drain (runs every job in new/, then exits)"
"$bin" worker --spool "$spool" --drain
echo
echo "== agent-runner ls"
"$bin" ls --spool "$spool"
echo
fan=$("$bin" ls --spool "$spool" --name fan-out.yaml --quiet)
echo "== agent-runner tree $fan (fan-out.yaml spawned three child jobs and waited for them)"
"$bin" tree "$fan" --spool "$spool"
echo
run=$("$bin" ls --spool "$spool" --name contributing.yaml --quiet)
echo "== events of $run (contributing.yaml, an agent run), as JSON Lines"
"$bin" tail "$run" --spool "$spool"
echo
if command -v git >/dev/null; then
  echo "== its commits, made with libgit2 on its own branch (read back with the git CLI)"
  git -C "$spool/workspaces/demo" log --stat --format='%h %s%n  by %an <%ae>, %(trailers:key=Run-Id,separator=)' "agent/$run"
fi
echo "== patch.diff artifact"
cat "$spool/done/$run.artifacts/patch.diff"
echo
echo "== the shell jobs, the rejected typo.yaml and all artifacts are in $spool/done/"
echo "Spool: $spool   (try: $bin show $run --spool $spool)"
echo
