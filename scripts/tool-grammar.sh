#!/bin/sh
# Prints the GBNF grammar of JSON tool mode's answers for the given tools, for llama.cpp servers whose route
# takes no per-request schema (the Anthropic-style /v1/messages): start llama-server with --grammar-file.
#   scripts/tool-grammar.sh [--no-finish] [TOOL...] > tools.gbnf
# The schema comes from `agent-runner tool-schema` (AGENT_RUNNER names the binary; default: this checkout's
# debug build); llama-cpp-python's converter turns it into GBNF, as llama.cpp does for response_format.
set -eu
cd "$(dirname "$0")/.."
bin=${AGENT_RUNNER:-.build/debug/agent-runner}
[ -x "$bin" ] || { echo "tool-grammar.sh: $bin not found; run 'swift build' or set AGENT_RUNNER" >&2; exit 1; }
"$bin" tool-schema "$@" | python3 -c '
import sys
try:
    from llama_cpp.llama_grammar import json_schema_to_gbnf
except ImportError:
    sys.exit("tool-grammar.sh: needs llama-cpp-python (scripts/deps.sh --test installs it)")
print(json_schema_to_gbnf(sys.stdin.read()))'
