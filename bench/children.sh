#!/bin/bash
# One parent spawning N children (default 1000; BENCH_QUICK=1: 200) and waiting for all of them, with
# inotify and with polling only, and one parent with one child BENCH_EDGES times (default 100; quick: 30)
# for the latency of one edge; prints markdown tables. Uses the release build, like bench/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=${BENCH_QUICK:-0}
N=${BENCH_CHILDREN:-$([ "$quick" = 1 ] && echo 200 || echo 1000)}
EDGES=${BENCH_EDGES:-$([ "$quick" = 1 ] && echo 30 || echo 100)}
if [ -z "${AGENT_RUNNER_BIN:-}" ]; then
  swift build -c release --static-swift-stdlib --product agent-runner >&2
  AGENT_RUNNER_BIN=$PWD/.build/release/agent-runner
fi
python3 bench/children.py "$AGENT_RUNNER_BIN" "$N" "$EDGES"
