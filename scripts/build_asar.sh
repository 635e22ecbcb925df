#!/usr/bin/env bash
# Build the real asar assembler (1.91, the version AFS's validator is checked against) from
# source, for `afs asm validate --backend asar` and the tests that compare verdicts with it.
#
#   bash scripts/build_asar.sh [ASAR_SOURCE_DIR]     # default: clone github.com/RPGHacker/asar
#   export PATH="$PWD/.asar/bin:$PATH"               # or AFS_ASAR=$PWD/.asar/bin/asar
#
# Needs cmake and a C++ compiler; under a minute on 2 idle cores. Writes .asar/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=v1.91
SOURCE=${1:-.asar/src}
if [ ! -d "$SOURCE/src/asar" ]; then
    git clone --depth 1 --branch "$VERSION" https://github.com/RPGHacker/asar "$SOURCE"
fi
cmake -S "$SOURCE/src" -B .asar/build -DCMAKE_BUILD_TYPE=Release -DASAR_GEN_DLL=OFF \
      -DASAR_GEN_LIB=OFF -DASAR_GEN_EXE_TEST=OFF -DASAR_GEN_DLL_TEST=OFF > /dev/null
cmake --build .asar/build --target asar-standalone -j "$(nproc)" > /dev/null
mkdir -p .asar/bin
cp .asar/build/asar/bin/asar .asar/bin/asar
.asar/bin/asar --version | head -1
