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
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  echo "setup: installing torch 2.13.0 (CPU build)"
  pip_install "torch==2.13.0"
fi
echo "setup: installing afs and its dependencies into .venv"
pip_install -e ".[dev,ray]"
.venv/bin/python -c "import afs, kedro, torch, ray" || { echo "setup: install failed" >&2; exit 1; }
echo "setup: done (.venv ready)"
