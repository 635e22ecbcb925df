"""ELECTRA discriminator training on a real tree: preparation time, each epoch's time and
validation ROC AUC, the time to the best epoch, and the held-out figures (test blocks of the
training trees, and a tree the model never saw).

    python benchmarks/discriminator_training.py --input TREE [--input TREE ...] \\
        [--eval-input UNSEEN_TREE] [--epochs 20] [--threads N] [--output DIR]

Training goes through ``afs.discriminator.train.train_discriminator`` with the defaults of
``afs discriminator train`` (2 layers x 128, per-epoch sampling, early stopping on validation
ROC AUC, calibration on validation) and prints its progress lines. The machine's load average
is printed before and after: on 2 shared cores other work slows every figure here.

Target (issue 17): a 70k-line tree trains to its best held-out ROC AUC in <= 15 minutes on
2 CPU cores, preparation <= 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path


def count_lines(inputs: list[str]) -> tuple[int, int]:
    """(.asm files, lines) under ``inputs``."""
    files = [p for given in inputs for p in
             (sorted(Path(given).rglob("*.asm")) if Path(given).is_dir() else [Path(given)])]
    return len(files), sum(p.read_text(encoding="utf-8", errors="replace").count("\n")
                           for p in files)


def kinds_table(metrics: dict, unseen: dict | None) -> list[str]:
    rows = ["| kind | held-out AUC | held-out detected | unseen AUC | unseen detected |",
            "|---|---|---|---|---|"]
    for kind in sorted(metrics["roc_auc_by_kind"]):
        u = unseen or {}
        rows.append(f"| {kind} | {metrics['roc_auc_by_kind'][kind]:.3f} | "
                    f"{metrics['detection_rate'][kind]:.3f} | "
                    f"{u.get('roc_auc_by_kind', {}).get(kind, float('nan')):.3f} | "
                    f"{u.get('detection_rate', {}).get(kind, float('nan')):.3f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", action="append", required=True)
    parser.add_argument("--eval-input", action="append", default=[])
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", default=None, help="model folder [default: a temp dir]")
    args = parser.parse_args()

    from afs.discriminator.defaults import DEFAULT_EPOCHS
    from afs.progress import Reporter
    from afs.discriminator.train import train_discriminator

    files, lines = count_lines(args.input)
    print(f"inputs: {files} .asm files, {lines} lines; load average before "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    output = Path(args.output or tempfile.mkdtemp(prefix="electra-bench-")) / "model"
    report = train_discriminator(args.input, output, epochs=args.epochs or DEFAULT_EPOCHS,
                                 seed=args.seed, device="cpu", log_to_mlflow=False,
                                 progress=Reporter(every=60), eval_inputs=args.eval_input,
                                 threads=args.threads)
    facts = json.loads((output / "training.json").read_text(encoding="utf-8"))
    history = facts["history"]
    best = facts["best_epoch"]
    to_best = facts["prep_seconds"] + sum(h["seconds"] for h in history[:best])
    print(f"\nload average after {os.getloadavg()[0]:.2f}; torch threads "
          f"{facts['params']['threads']}")
    print(f"preparation {facts['prep_seconds']:.1f} s; {facts['epochs_run']} epochs "
          f"(best {best}, stopped early: {facts['stopped_early']}); to the best epoch "
          f"{to_best / 60:.1f} min, whole run {facts['seconds'] / 60:.1f} min\n")
    print("| epoch | examples | seconds | examples/s | train loss | val ROC AUC |")
    print("|---|---|---|---|---|---|")
    for h in history:
        print(f"| {h['epoch']} | {h['examples']} | {h['seconds']:.0f} | "
              f"{h['examples_per_second']:.0f} | {h['train_loss']:.3f} | "
              f"{h.get('val_roc_auc', float('nan')):.3f} |")
    metrics = report.metrics
    unseen = metrics.get("unseen")
    calibration = facts.get("calibration", {})
    print(f"\ncalibration: P(real) = sigmoid({calibration.get('a', 1):.3f} * margin + "
          f"{calibration.get('b', 0):.3f})")
    for name, block in (("held-out test blocks", metrics), ("unseen tree", unseen)):
        if block:
            print(f"{name}: ROC AUC {block['roc_auc']:.3f}; at {block['threshold']}: precision "
                  f"{block['precision']:.3f}, recall of real code {block['recall']:.3f}, "
                  f"corrupted detected {block['detected']:.3f} ({block['n']} examples, "
                  f"{block['n_real']} real)")
    print()
    print("\n".join(kinds_table(metrics, unseen)))


if __name__ == "__main__":
    main()
