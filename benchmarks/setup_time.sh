#!/usr/bin/env bash
# Time a first set-up as a new user gets it: a fresh clone of this repository's HEAD, a new
# .venv, and empty pip and wheel caches (so llama-cpp-python compiles from source). Prints each
# set-up line with the seconds since the start, then the total. Nothing outside a temporary
# folder is touched; it is removed at the end unless KEEP=1.
# Usage: benchmarks/setup_time.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/afs-setup-time.XXXXXX)"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
git clone -q "$here" "$work/afs"
mkdir -p "$work/cache" "$work/pip-cache"
start=$(date +%s)
(cd "$work/afs" && XDG_CACHE_HOME="$work/cache" PIP_CACHE_DIR="$work/pip-cache" \
   bash scripts/setup.sh) 2>&1 | while IFS= read -r line; do
  echo "$(( $(date +%s) - start ))s $line"
done
echo "set-up: $(( $(date +%s) - start )) s from a fresh clone with empty caches ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
