"""Does the composite quality score separate real samples from the same samples made wrong?

    python benchmarks/quality_separation.py --tree PATH [--tree PATH …] [--model DIR]
        [--limit N] [--seed 42]

From a real asar tree, the oracle generator's samples whose output holds code are the real
set; each of them with one mistake of each corruption kind applied to the code of its output
(``afs.discriminator.corruptions``: the mistakes the discriminator is trained to see) is the
corrupted set. Each sample is scored with its domain's profile (the pipeline's rule), once
with the ELECTRA component and once without, and the script prints:

- the composite score's ROC AUC (real against corrupted), pooled and per mistake kind;
- the filter at each profile's ``min_score`` (``afs.quality.filter.reject_reason``, asar
  errors rejected whatever the score): precision (kept samples that are real), recall (real
  samples kept), and the share of corrupted samples rejected.

``--model`` is a trained discriminator directory (default: the packaged model when AFS ships
one, else the composite without ELECTRA only). Use a tree the model never saw.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict

import numpy as np

FENCE = re.compile(r"(```[^\n]*\n)(.*?)(\n```)", re.S)


def roc_auc(real: np.ndarray, corrupted: np.ndarray) -> float:
    """P(a real sample scores above a corrupted one), ties counting half (Mann-Whitney)."""
    scores = np.concatenate([real, corrupted])
    ranks = np.empty(len(scores))
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = first + (counts - 1) / 2.0 + 1
    ranks[order] = np.repeat(average, counts)
    n_real, n_bad = len(real), len(corrupted)
    return float((ranks[:n_real].sum() - n_real * (n_real + 1) / 2) / (n_real * n_bad))


def corrupt_output(output: str, kind: str, seed: int, pool: list[str]) -> str | None:
    """``output`` with one mistake of ``kind`` in its code: inside its largest fence, or the
    whole text when it is code without a fence; None when the kind does not apply."""
    from afs.asm.blocks import looks_like_code
    from afs.discriminator.corruptions import corrupt

    fences = list(FENCE.finditer(output))
    if fences:
        fence = max(fences, key=lambda m: len(m.group(2)))
        changed = corrupt(fence.group(2), kind, seed=seed, pool=pool)
        if changed is None:
            return None
        return output[:fence.start(2)] + changed.text + output[fence.end(2):]
    if looks_like_code(output):
        changed = corrupt(output, kind, seed=seed, pool=pool)
        return None if changed is None else changed.text
    return None


def real_samples(tree: str, limit: int | None) -> list:
    from afs.generators.lookup import create_generator

    samples = list(create_generator("oracle", oracle_path=tree).generate())
    with_code = [s for s in samples if "```" in s.output or _is_code(s.output)]
    print(f"{tree}: {len(samples):,} samples, {len(with_code):,} with code in the output",
          file=sys.stderr)
    return with_code[:limit] if limit else with_code


def _is_code(text: str) -> bool:
    from afs.asm.blocks import looks_like_code

    return looks_like_code(text)


def twins(samples: list, seed: int) -> tuple[list, list[tuple[str, str, str]]]:
    """The samples with at least one twin, and (kind, domain, corrupted output) for each of
    them and each kind that applies: real and corrupted sets of the same samples, so that
    the score is not judged on telling one kind of sample from another."""
    from afs.discriminator.corruptions import KINDS

    pool = [line for s in samples for line in s.output.splitlines() if line.startswith("  ")]
    kept, out = [], []
    for s in samples:
        mine = [(kind, s.domain, text) for kind in KINDS
                if (text := corrupt_output(s.output, kind, seed, pool[:5000])) is not None]
        if mine:
            kept.append(s)
            out.extend(mine)
    return kept, out


def score(rows: list[tuple[str, str]], model) -> tuple[np.ndarray, list[str | None]]:
    """(overall scores, filter verdicts) of (domain, output) rows, each by its domain's
    profile; the discriminator ``model`` or none."""
    from afs.quality.config import ProfileChoice
    from afs.quality.filter import reject_reason
    from afs.quality.scorer import QualityScorer

    choice = ProfileChoice()  # the pipeline's rule with its built-in settings
    by_profile: dict[str, list[int]] = defaultdict(list)
    for i, (domain, _) in enumerate(rows):
        by_profile[choice.for_domain(domain)].append(i)
    overall = np.full(len(rows), np.nan)
    verdicts: list[str | None] = [None] * len(rows)
    for profile, indices in by_profile.items():
        config = choice.config(profile)
        scorer = QualityScorer(config, discriminator=model, model_path=None)
        if model is None:
            scorer._discriminator = None  # the composite without ELECTRA
        results = scorer.score_outputs([rows[i][1] for i in indices])
        for i, result in zip(indices, results):
            overall[i] = result.overall
            record = {"quality_score": result.overall,
                      "_metadata": {"quality": result.to_dict()}}
            verdicts[i] = reject_reason(record, config.min_score)
    return overall, verdicts


def report(samples: list, bad: list[tuple[str, str, str]], model, label: str) -> dict:
    start = time.perf_counter()
    real_scores, real_verdicts = score([(s.domain, s.output) for s in samples], model)
    bad_scores, bad_verdicts = score([(d, t) for _, d, t in bad], model)
    seconds = time.perf_counter() - start
    kinds = np.array([k for k, _, _ in bad])
    per_kind = {k: roc_auc(real_scores, bad_scores[kinds == k]) for k in sorted(set(kinds))}
    kept_real = sum(v is None for v in real_verdicts)
    kept_bad = sum(v is None for v in bad_verdicts)
    return {"label": label, "auc": roc_auc(real_scores, bad_scores), "per_kind": per_kind,
            "precision": kept_real / max(1, kept_real + kept_bad),
            "recall": kept_real / max(1, len(samples)),
            "rejected_bad": 1 - kept_bad / max(1, len(bad)), "seconds": seconds}


def load_model(path: str | None):
    from afs.discriminator.model import ElectraDiscriminator

    if path is None:
        from afs.discriminator import packaged_model_path
        from afs.errors import ConfigError

        try:
            path = packaged_model_path()
        except ConfigError as error:  # this installation ships no model
            print(f"without ELECTRA only: {error}", file=sys.stderr)
            return None
    return ElectraDiscriminator.load(path, device="cpu")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", required=True, action="append",
                        help="a real asar tree the model never saw (repeat for more)")
    parser.add_argument("--model", help="discriminator directory (default: the packaged one)")
    parser.add_argument("--limit", type=int, help="at most this many real samples")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    samples = [s for tree in args.tree for s in real_samples(tree, args.limit)]
    samples, bad = twins(samples, args.seed)
    print(f"{len(samples):,} real samples, {len(bad):,} corrupted twins", file=sys.stderr)
    model = load_model(args.model)
    results = [report(samples, bad, None, "without ELECTRA")]
    if model is not None:
        results.append(report(samples, bad, model, "with ELECTRA"))

    print(f"\nTrees: {', '.join(args.tree)} ({len(samples):,} real samples with code, "
          f"{len(bad):,} corrupted twins)\n")
    print("| score | ROC AUC | filter precision | filter recall (real kept) "
          "| corrupted rejected | seconds |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['label']} | {r['auc']:.3f} | {r['precision']:.3f} | {r['recall']:.3f} "
              f"| {r['rejected_bad']:.3f} | {r['seconds']:.1f} |")
    if len(results) == 2:
        print(f"\nELECTRA adds {results[1]['auc'] - results[0]['auc']:+.3f} ROC AUC.")
    print("\n| mistake kind | " + " | ".join(r["label"] for r in results) + " |")
    print("|---|" + "---:|" * len(results))
    for kind in results[0]["per_kind"]:
        print(f"| {kind} | " + " | ".join(f"{r['per_kind'][kind]:.3f}" for r in results) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
