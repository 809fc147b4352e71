#!/bin/sh
# Line coverage per module: builds and runs the whole suite with `swift test --enable-code-coverage`
# (its own build folder, .build-coverage, so the normal build stays as it is), then sums llvm-cov's
# per-file report by Sources/MODULE/ and prints a Markdown table. Worker processes the integration
# tests start are instrumented too: they inherit swift test's LLVM_PROFILE_FILE and write their profiles
# beside the test process's, and all of them are merged.
#   scripts/coverage.sh [swift test options, e.g. --filter SpoolCore]
set -eu
cd "$(dirname "$0")/.."
scratch=.build-coverage
swift build --build-tests --enable-code-coverage --scratch-path "$scratch" >&2
bin=$(swift build --show-bin-path --scratch-path "$scratch")
profiles="$bin/codecov"
rm -rf "$profiles"
swift test --skip-build --enable-code-coverage --scratch-path "$scratch" "$@" >&2 || {
  echo "coverage.sh: some tests failed; the table below still counts what ran" >&2
}
llvm=$(dirname "$(command -v swift)")
"$llvm/llvm-profdata" merge -sparse "$profiles"/*.profraw -o "$profiles/merged.profdata"
objects=""
for o in "$bin/agent-runner" "$bin"/*.xctest; do [ -e "$o" ] && objects="$objects -object $o"; done
echo "| module | lines | covered |"
echo "|---|---:|---:|"
# shellcheck disable=SC2086
"$llvm/llvm-cov" report --instr-profile "$profiles/merged.profdata" $objects \
    --ignore-filename-regex='(\.build|/Tests/|checkouts)' 2>/dev/null |
  awk '
    # Names are relative to Sources/ (MODULE/File.swift), or absolute when llvm-cov finds no common prefix.
    $1 ~ /\.(swift|c)$/ && NF >= 10 {
      name = $1; sub(/^.*\/Sources\//, "", name); split(name, q, "/"); mod = q[1]
      # Columns: Filename Regions Missed Cover Functions Missed Executed Lines Missed Cover ...
      lines[mod] += $8; missed[mod] += $9
    }
    END {
      for (m in lines) if (lines[m] > 0) printf "| %s | %d | %.1f%% |\n", m, lines[m], 100 * (lines[m] - missed[m]) / lines[m]
    }' | sort
