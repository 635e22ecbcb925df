#!/usr/bin/env bash
# Create .venv and install AFS with its test extras and the ray extra (so the Ray executor's
# tests run). Safe to run again.
# Installs the CPU build of torch first where no torch is present, so pip does not pull
# a multi-GB CUDA build; a GPU user installs their CUDA torch into .venv before running this.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# pip's notes about this machine's unused local indexes are noise; real errors still show
pip_install() { .venv/bin/python -m pip --disable-pip-version-check -q install "$@" 2> >(grep -v "is ignored" >&2); }
pip_install --upgrade pip

# llama-cpp-python ships only as source. pip's own wheel cache would reuse a build made for
# another CPU, and a -march=native build segfaults on some CPUs (seen here: AVX512/AMX Xeons),
# so set-up builds a portable wheel once (AVX2, no multimodal/tools/examples/tests), keeps it
# in a cache keyed by version and build flags, and installs that. A GPU user sets CMAKE_ARGS
# (e.g. -DGGML_CUDA=on) and gets a wheel of their own under another key.
LLAMA_CPP_VERSION=0.3.36
LLAMA_CMAKE_ARGS=${CMAKE_ARGS:-"-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF"}
LLAMA_KEY=$(printf '%s %s' "$LLAMA_CPP_VERSION" "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-16)
LLAMA_WHEELS="${XDG_CACHE_HOME:-$HOME/.cache}/afs/wheels/llama-cpp-python-$LLAMA_KEY"
build_llama_cpp() {
  local wheels=$LLAMA_WHEELS
  if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "setup: building llama-cpp-python $LLAMA_CPP_VERSION once (about 4 minutes on 2 cores; cached in $wheels)"
    mkdir -p "$wheels.partial"
    CMAKE_ARGS="$LLAMA_CMAKE_ARGS" .venv/bin/python -m pip --disable-pip-version-check -q wheel \
      --no-deps --no-cache-dir --no-binary llama-cpp-python -w "$wheels.partial" \
      "llama-cpp-python==$LLAMA_CPP_VERSION" 2> >(grep -v "is ignored" >&2)
    rm -rf "$wheels" && mv "$wheels.partial" "$wheels"   # a killed build leaves no wheel behind
  fi
}
install_llama_cpp() {
  local built
  built=$(cat .venv/.afs-llama-cpp 2>/dev/null || true)
  if [ "$built" != "$LLAMA_KEY" ]; then
    pip_install --no-deps --force-reinstall "$LLAMA_WHEELS"/llama_cpp_python-*.whl
    echo "$LLAMA_KEY" > .venv/.afs-llama-cpp
  fi
}
# The wheel compiles on every core for minutes while the other dependencies only download and
# unpack: build it in the background and install everything else meanwhile (set-up on 2 cores
# with empty caches went from the sum of the two to about the build alone).
build_llama_cpp & llama_build=$!
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  echo "setup: installing torch 2.13.0 (CPU build)"
  pip_install "torch==2.13.0"
fi
echo "setup: installing afs's dependencies into .venv"
# every requirement of afs and its dev and ray extras but llama-cpp-python, one a line
mapfile -t requirements < <(.venv/bin/python -c '
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
extras = project["optional-dependencies"]
for requirement in project["dependencies"] + extras["dev"] + extras["ray"]:
    if not requirement.startswith("llama-cpp-python"):
        print(requirement)')
pip_install "${requirements[@]}"
wait "$llama_build" || { echo "setup: building llama-cpp-python failed (see above)" >&2; exit 1; }
install_llama_cpp
echo "setup: installing afs into .venv"
pip_install -e ".[dev,ray]"
.venv/bin/python -c "import afs, kedro, torch, ray" || { echo "setup: install failed" >&2; exit 1; }
echo "setup: done (.venv ready)"
