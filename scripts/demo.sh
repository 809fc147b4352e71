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
run=$("$bin" ls --spool "$spool" --name hello.yaml --quiet)
echo "== events of $run (hello.yaml), as JSON Lines"
"$bin" tail "$run" --spool "$spool"
echo
echo "== artifacts of the rejected typo.yaml run and the others are in $spool/done/"
echo "Spool: $spool   (try: $bin show $run --spool $spool)"
echo
