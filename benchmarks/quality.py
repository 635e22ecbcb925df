"""Time composite quality scoring (no ELECTRA) and MinHash dedup through the public API.

    python benchmarks/quality.py [--score-n 100000] [--dedup-n 1000000 200000 …] [--cores 2]

Data: ``afs.generators.synthetic.synthetic_samples`` (65816 routines, docs, memory and history
answers; nearly every output distinct). Scoring runs on one core: a cold pass (every output
validated and entity-extracted once) and a warm pass over the same outputs (the per-text
cache answers). Dedup (`afs.dedup.clusters.deduplicate`, exact + near) runs in a child process
pinned to ``--cores`` cores (the tokenizer's Rust threads included), so its peak RSS is its
own. Prints markdown tables.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time


def bench_scoring(n: int) -> list[str]:
    from afs.generators.synthetic import synthetic_samples
    from afs.quality.scorer import QualityScorer, ScoringConfig

    outputs = synthetic_samples(n, seed=1)["output"].tolist()
    scorer = QualityScorer(ScoringConfig.from_profile("asm"), model_path=None)
    rows = []
    for label in ("cold (distinct outputs)", "warm (outputs seen before)"):
        start = time.perf_counter()
        for chunk in range(0, n, 4096):
            scorer.score_outputs(outputs[chunk: chunk + 4096])
        seconds = time.perf_counter() - start
        rows.append(f"| {label} | {n:,} | {seconds:.2f} | {n / seconds:,.0f} |")
    return rows


def dedup_child(n: int) -> None:
    """Runs in the child: dedup n samples, print seconds and counts."""
    from afs.generators.synthetic import synthetic_samples
    from afs.dedup import minhash
    from afs.dedup.config import DedupConfig, dedup_text
    from afs.dedup.clusters import deduplicate

    frame = synthetic_samples(n, seed=1)
    start = time.perf_counter()
    minhash.signatures(dedup_text(frame).tolist())
    signature_seconds = time.perf_counter() - start
    start = time.perf_counter()
    result = deduplicate(frame, DedupConfig())
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{seconds:.1f} {signature_seconds:.1f} {len(result.kept)} {len(result.clusters)} "
          f"{peak:.0f}")


def bench_dedup(n: int, cores: int) -> str:
    env = {**os.environ, "RAYON_NUM_THREADS": str(cores), "OMP_NUM_THREADS": str(cores),
           "TOKENIZERS_PARALLELISM": "true"}
    command = [sys.executable, __file__, "--child", str(n)]
    if hasattr(os, "sched_setaffinity"):
        command = ["taskset", "-c", ",".join(map(str, range(cores)))] + command
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    seconds, signature_seconds, kept, clusters, peak = out.split()
    return (f"| {n:,} | {float(seconds):.1f} | {n / float(seconds):,.0f} | "
            f"{float(signature_seconds):.1f} | {int(kept):,} | {int(clusters):,} | "
            f"{float(peak):,.0f} MiB |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--score-n", type=int, default=100_000)
    parser.add_argument("--dedup-n", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        dedup_child(args.child)
        return
    os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "1")
    if args.score_n:
        print("| scoring, one core | samples | seconds | samples/s |")
        print("| --- | ---: | ---: | ---: |")
        print("\n".join(bench_scoring(args.score_n)))
    if args.dedup_n:
        print(f"\n| dedup samples ({args.cores} cores) | seconds | samples/s | signatures alone"
              " (s) | kept | clusters | peak RSS |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for n in args.dedup_n:
            print(bench_dedup(n, args.cores), flush=True)


if __name__ == "__main__":
    main()
