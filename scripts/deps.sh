#!/bin/sh
# Installs the Debian packages Agent Runner needs, skipping those already present.
#   scripts/deps.sh            build dependencies (C libraries and pkg-config)
#   scripts/deps.sh --test     plus the real tools the tests drive (rsync, inotify-tools, bindfs/FUSE)
#   scripts/deps.sh --bench    plus the queues the benchmark compares against (nq, task-spooler, hyperfine)
set -eu
pkgs="pkg-config libyaml-dev libgit2-dev libcurl4-openssl-dev"
for arg in "$@"; do
  case "$arg" in
    --test) pkgs="$pkgs rsync inotify-tools bindfs fuse3 procps" ;;
    --bench) pkgs="$pkgs rsync inotify-tools nq task-spooler hyperfine python3 procps" ;;
    *) echo "deps.sh: unknown option $arg (use --test or --bench)" >&2; exit 2 ;;
  esac
done
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "Installing:$missing" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
