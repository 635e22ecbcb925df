#!/usr/bin/env bash
# Rebuild the discriminator shipped in src/afs/discriminator/pretrained (issue 17 §2).
#
# Sources (docs/discriminator.md lists licenses, commits and sizes), checked out read-only:
#   CORPORA/KatDevsGames+z3randomizer  MIT        637b659af27151e9fee84461f1c9f97891e151e5
#   CORPORA/helgefmi+lttphack          MIT        2d3b80b029c7e5a46e9329856dadff0ed611a596
#   CORPORA/tewtal+sm_practice_hack    Unlicense  e5d60e34f1f934ffe2d4053acc95715fffad25c2
# plus the project's own sample corpus data/01_raw/asm. Evaluated (never trained on) on
#   CORPORA/IsoFrieze+SMWDisX          no license: evaluation only, nothing derived is shipped
#
# Same sources, seed, settings and thread count -> the same model (CPU, deterministic
# algorithms). The defaults below are the run measured in docs/discriminator.md (5 epochs of
# 8,000 windows: 31 min on 2 cores shared at load 4-11, and undertrained: validation ROC AUC
# still rising); on an idle machine give it more, e.g. EPOCHS=20 EPOCH_WINDOWS=15000 THREADS=2.
# Figures go to OUTPUT_DIR/training.json and to MLflow (MLFLOW_TRACKING_URI, default the
# project's sqlite:///mlflow.db).
# Usage: [EPOCHS=N] [EPOCH_WINDOWS=N] [THREADS=N] scripts/train_shipped_discriminator.sh \
#            [CORPORA_DIR] [OUTPUT_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
corpora="${1:-/work/corpora}"
output="${2:-$here/src/afs/discriminator/pretrained}"
export MLFLOW_TRACKING_URI="${MLFLOW_TRACKING_URI:-sqlite:///$here/mlflow.db}"
"$here/.venv/bin/afs" discriminator train \
  --input "$corpora/KatDevsGames+z3randomizer" \
  --input "$corpora/helgefmi+lttphack" \
  --input "$corpora/tewtal+sm_practice_hack" \
  --input "$here/data/01_raw/asm" \
  --eval-input "$corpora/IsoFrieze+SMWDisX" \
  --output "$output" \
  --seed 42 --threads "${THREADS:-1}" --epochs "${EPOCHS:-5}" --patience 3 \
  --epoch-windows "${EPOCH_WINDOWS:-8000}" \
  --batch-size 64 --learning-rate 3e-3 --layers 2 --hidden 128 --device cpu

# the folder is replaced as a whole by training: write the attribution into it again
cp "$here/docs/discriminator_NOTICE.txt" "$output/NOTICE"
