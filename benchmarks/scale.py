"""Composite scoring and MinHash dedup on the local executor vs Ray with 1 and 2 workers.

    python benchmarks/scale.py [--rows 1000000 | --sizes 10000,100000,1000000] [--quick]
                               [--stages scoring,dedup,dedup_files,reference,decontamination]
                               [--electra default|PATH] [--json PATH]

Data (deterministic, built before any clock starts): the 400 rows of
``data/01_raw/v1_training.jsonl``, then ``afs.generators.synthetic.synthetic_samples(n, seed=1)``
(routines, docs, memory and history answers, as ``benchmarks/quality.py`` uses), with planted
duplicates so that dedup has work: 1% of rows are exact copies of an earlier row (new
sample_id) and 5% are near copies (an earlier row's output with one short sentence appended).

Stages, each through its public entry point with the project's ``quality_scoring``
parameters (``conf/base/parameters_quality_scoring.yml``; address file resolved from the repo):

- scoring: ``afs.quality.scorer.score_frame_on(frame, quality, executor)``. The ELECTRA model
  (``models/electra``) is not shipped, so the pipeline scores without it (asar + entity +
  length, renormalised), as ``kedro run`` does by default;
- dedup: ``afs.dedup.clusters.deduplicate(frame, DedupConfig(**quality["dedup"]), executor)``;
- reference / decontamination: ``dedup_against_reference(frame, reference, config, executor)``
  against v1_training plus 8,000 of the generated rows, and ``decontaminate(frame,
  eval_suite, 12, executor)`` against the shipped eval suite (rejects compared);
- dedup_files: ``afs.dedup.files.dedup_files`` (what ``afs training dedup`` runs)
  over the same rows written as 4 JSONL files before the clock starts, streamed through
  Parquet shards of 100k rows. Its child never builds the frame, so its peak RSS is the
  streaming path's own (the figure that sizes a driver for tens of millions of rows). Reading
  JSONL gives each row its content id (the planted copies' own ids are not kept), so its kept
  set is compared across executors only; that it equals ``deduplicate`` on the same rows is
  tested (tests/dedup/test_files.py).

``--electra default`` scores with an ELECTRA discriminator of ``afs discriminator train``'s
default size (2 layers, hidden 128, max_length 512) with random, seeded weights: the
throughput of the model stage, not its quality. ``--electra PATH`` uses a trained model.

Executors: ``local``; ``ray`` with ``num_workers=1`` (``ray.init(num_cpus=1)``, an actor pool
of 1); ``ray`` with ``num_workers=2``. Each executor runs in its own child process, so the
driver's peak RSS (``getrusage``) is its own and every Ray run starts a fresh local cluster
(``ray_session`` starts and stops it per stage call, as a pipeline run does: the timings
include Ray's start-up). Ray's fixed overhead is the same stage on a tiny input (256 rows),
timed first. Ray worker processes' memory is not in the driver's RSS. The parent checks that
the three give identical scores and kept sets (assert) and prints markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TINY_ROWS = 256
EXECUTORS = {"local": None, "ray-1": 1, "ray-2": 2}


def build_frame(rows: int):
    """``rows`` samples: v1_training, then synthetic ones with planted (near) duplicates."""
    import numpy as np
    import pandas as pd

    from afs.generators.synthetic import synthetic_samples
    from afs.samples.jsonl import read_jsonl_frame

    real, _ = read_jsonl_frame(ROOT / "data" / "01_raw" / "v1_training.jsonl")
    synthetic = synthetic_samples(max(rows - len(real), 0), seed=1)
    frame = pd.concat([real[synthetic.columns.intersection(real.columns)], synthetic],
                      ignore_index=True).iloc[:rows].reset_index(drop=True)
    # a shipped row and a synthetic one may share an id; dedup reports clusters by id
    frame["sample_id"] = [f"v1-{i}" if p < len(real) else i
                          for p, i in enumerate(frame["sample_id"])]
    rng = np.random.default_rng(7)
    n = len(frame)
    targets = rng.permutation(np.arange(n // 10, n))[: int(n * 0.06)]
    exact, near = targets[: n // 100], targets[n // 100:]
    for positions, suffix in ((exact, None), (near, " See also the caller's notes.")):
        sources = (rng.random(len(positions)) * positions).astype(np.int64)
        for column in ("instruction", "input", "output"):
            values = frame[column].to_numpy(copy=True)
            copied = values[sources]
            if column == "output" and suffix:
                copied = np.array([f"{text}{suffix}" for text in copied], dtype=object)
            values[positions] = copied
            frame[column] = values
    return frame


def quality_parameters() -> dict:
    import yaml

    params = yaml.safe_load((ROOT / "conf/base/parameters_quality_scoring.yml").read_text())
    quality = params["quality_scoring"]
    quality["address_files"] = [str(ROOT / "data/01_raw/asm/Core/ram.asm")]
    quality["device"] = "cpu"
    return quality


def executor_for(workers: int | None):
    from afs.executors import ExecutorConfig

    if workers is None:
        return ExecutorConfig()
    return ExecutorConfig(kind="ray", num_workers=workers)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakPrivateMemory:
    """Peak of this process's private memory (USS: Private_Clean + Private_Dirty of
    /proc/self/smaps_rollup), sampled every 0.2 s in a thread. RSS also counts the pages of
    Ray's shared-memory object store that the driver maps to read results; USS does not."""

    def __init__(self):
        import threading

        self.peak_kib = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self) -> None:
        while not self.stop.wait(0.2):
            try:
                text = Path("/proc/self/smaps_rollup").read_text()
            except OSError:
                return
            private = sum(int(line.split()[1]) for line in text.splitlines()
                          if line.startswith(("Private_Clean:", "Private_Dirty:")))
            self.peak_kib = max(self.peak_kib, private)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        self.thread.join()


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def files_child(name: str, out: Path) -> dict:
    """The streaming dedup of the JSONL files under ``out/inputs`` (no frame built here)."""
    import numpy as np

    from afs.samples.jsonl import read_jsonl_frame
    from afs.dedup.config import DedupConfig
    from afs.dedup.files import dedup_files

    inputs = sorted((out / "inputs").glob("*.jsonl"))
    executor = executor_for(EXECUTORS[name])
    config = DedupConfig(**quality_parameters()["dedup"])
    kept_path = out / f"{name}-files-kept.jsonl"
    with tempfile.TemporaryDirectory(prefix="afs-scale-work-") as work, \
            PeakPrivateMemory() as private:
        report, seconds = timed(lambda: dedup_files(inputs, kept_path, out / f"{name}-rej.jsonl",
                                                    config, executor, work_dir=work))
    rss = peak_rss_mib()
    kept, _ = read_jsonl_frame(kept_path)
    np.save(out / f"{name}-files-kept.npy", np.sort(kept["sample_id"].to_numpy(str)))
    return {"executor": name, "rows": report.rows, "dedup_files": {
        "seconds": seconds, "tiny_s": float("nan"), "rss_mib": rss,
        "uss_mib": private.peak_kib / 1024, "kept": report.kept,
        "clusters": report.clusters, "shards": report.shards}}


def write_inputs(rows: int, out: Path) -> None:
    """The benchmark's rows as 4 JSONL files, for the dedup_files stage."""
    from afs.samples.jsonl import write_jsonl_frame

    frame = build_frame(rows)
    folder = out / "inputs"
    folder.mkdir(parents=True, exist_ok=True)
    quarter = -(-len(frame) // 4)
    for part, first in enumerate(range(0, len(frame), quarter)):
        write_jsonl_frame(frame.iloc[first:first + quarter], folder / f"part-{part}.jsonl")


def checked_sets():
    """The sets the reference and decontamination stages check against: the reference is
    every 5th generated row of a 40,000-row build (so that 1 in 5 of those rows is seen) and
    v1_training; the eval suite is the shipped one."""
    import pandas as pd

    from afs.samples.jsonl import read_jsonl_frame

    seen, _ = read_jsonl_frame(ROOT / "data" / "01_raw" / "v1_training.jsonl")
    reference = pd.concat([seen, build_frame(40_000).iloc[::5]], ignore_index=True)
    suite, _ = read_jsonl_frame(ROOT / "data" / "01_raw" / "eval" / "eval_suite.jsonl")
    return reference, suite


def electra_model(choice: str | None, out: Path) -> str | None:
    """The model folder ``--electra`` names; ``default``: a seeded random model of the
    CLI's default size, built once into ``out``."""
    if choice in (None, "default"):
        if choice is None:
            return None
        folder = out / "electra"
        if not folder.exists():
            from afs.discriminator import ElectraDiscriminator

            ElectraDiscriminator.create(layers=2, hidden=128, max_length=512, device="cpu",
                                        seed=1).save(folder)
        return str(folder)
    return choice


def child(name: str, rows: int, stages: list[str], out: Path, electra: str | None) -> None:
    """Runs in the child: one executor, every stage, timings as one JSON line on stdout."""
    import numpy as np

    from afs.dedup.config import DedupConfig
    from afs.dedup.reference import decontaminate, dedup_against_reference
    from afs.dedup.clusters import deduplicate
    from afs.quality.stages import score_frame_on

    os.environ.setdefault("RAY_DATA_DISABLE_PROGRESS_BARS", "1")
    if stages == ["dedup_files"]:
        report = files_child(name, out)
        report["peak_rss_mib"] = report["dedup_files"]["rss_mib"]
        print(json.dumps(report))
        return
    frame, build_seconds = timed(lambda: build_frame(rows))
    build_rss = peak_rss_mib()
    quality = quality_parameters()
    if electra:
        quality["electra_model"] = electra
    executor = executor_for(EXECUTORS[name])
    report = {"executor": name, "rows": len(frame), "build_s": build_seconds,
              "build_rss_mib": build_rss,
              "frame_bytes_per_row": float(frame.memory_usage(deep=True).sum() / len(frame))}
    config = DedupConfig(**quality["dedup"])
    reference, suite = checked_sets()
    runs = {
        "scoring": lambda data: score_frame_on(data, quality, executor),
        "dedup": lambda data: deduplicate(data, config, executor),
        "reference": lambda data: dedup_against_reference(data, reference, config, executor),
        "decontamination": lambda data: decontaminate(data, suite, config.ngram_size, executor),
    }
    for stage in stages:
        _, tiny = timed(lambda stage=stage: runs[stage](frame.iloc[:TINY_ROWS].copy()))
        result, seconds = timed(lambda stage=stage: runs[stage](frame))
        report[stage] = {"tiny_s": tiny, "seconds": seconds, "rss_mib": peak_rss_mib()}
        if stage == "scoring":
            np.save(out / f"{name}-scores.npy", result["quality_score"].to_numpy(float))
            report[stage]["mean_score"] = float(result["quality_score"].mean())
        elif stage == "dedup":
            kept = np.sort(result.kept["sample_id"].to_numpy(str))
            np.save(out / f"{name}-kept.npy", kept)
            report[stage].update(kept=len(kept), clusters=len(result.clusters))
        else:  # (kept, rejects): the rejects' ids and reasons
            rejects = result[1]
            np.save(out / f"{name}-{stage}.npy",
                    (rejects["sample_id"] + " " + rejects["reject_reason"]).to_numpy(str))
            report[stage]["rejected"] = len(rejects)
    report["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(report))


def run_child(name: str, rows: int, stages: list[str], out: Path, electra: str | None) -> dict:
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "RAY_DATA_DISABLE_PROGRESS_BARS": "1"}
    command = [sys.executable, __file__, "--child", name, "--rows", str(rows),
               "--stages", ",".join(stages), "--out", str(out)]
    if electra:
        command += ["--electra", electra]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"{name} failed (exit {done.returncode})")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["load"] = os.getloadavg()
    return report


def check_identical(reports: list[dict], stages: list[str], out: Path) -> None:
    import numpy as np

    first = reports[0]["executor"]
    for report in reports[1:]:
        name = report["executor"]
        if "scoring" in stages:
            assert np.array_equal(np.load(out / f"{first}-scores.npy"),
                                  np.load(out / f"{name}-scores.npy")), f"{name} scores differ"
        if "dedup" in stages:
            assert np.array_equal(np.load(out / f"{first}-kept.npy"),
                                  np.load(out / f"{name}-kept.npy")), f"{name} kept set differs"
        for stage in ("reference", "decontamination"):
            if stage in stages:
                assert np.array_equal(np.load(out / f"{first}-{stage}.npy"),
                                      np.load(out / f"{name}-{stage}.npy")), \
                    f"{name} {stage} rejects differ"
        if "dedup_files" in stages:
            assert np.array_equal(np.load(out / f"{first}-files-kept.npy"),
                                  np.load(out / f"{name}-files-kept.npy")), \
                f"{name} streamed kept set differs"


def table(reports: list[dict], stages: list[str]) -> str:
    local = reports[0]
    lines = [("| executor | stage | rows | seconds | rows/s | speed-up vs local | tiny input "
              f"({TINY_ROWS} rows), s | driver peak RSS | load avg (1/5/15 min, after) |"),
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for report in reports:
        for stage in stages:
            figures = report[stage]
            speedup = local[stage]["seconds"] / figures["seconds"]
            load = "/".join(f"{value:.2f}" for value in report["load"])
            lines.append(f"| {report['executor']} | {stage} | {report['rows']:,} | "
                         f"{figures['seconds']:.1f} | {report['rows'] / figures['seconds']:,.0f} "
                         f"| {speedup:.2f}x | {figures['tiny_s']:.2f} | "
                         f"{figures['rss_mib']:,.0f} MiB | {load} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 rows")
    parser.add_argument("--stages", default="scoring,dedup")
    parser.add_argument("--executors", default=",".join(EXECUTORS))
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--sizes", default=None,
                        help="comma-separated row counts (e.g. 10000,100000,1000000): one "
                             "scaling table over them instead of --rows")
    parser.add_argument("--electra", default=None,
                        help="score with an ELECTRA model: 'default' (random weights, the "
                             "CLI's default size) or a model folder [default: none]")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    stages = [stage for stage in args.stages.split(",") if stage]
    unknown = set(stages) - {"scoring", "dedup", "dedup_files", "reference", "decontamination"}
    if unknown:
        parser.error(f"unknown stage(s): {', '.join(sorted(unknown))}")
    rows = 20_000 if args.quick else args.rows
    if args.child:
        child(args.child, rows, stages, args.out, args.electra)
        return
    if args.sizes:
        sizes = [int(size) for size in args.sizes.split(",")]
        runs = {size: run_size(size, stages, args.executors, args.electra) for size in sizes}
        print(scaling_table(runs, stages))
        if args.json:
            args.json.write_text(json.dumps({str(k): v for k, v in runs.items()}, indent=2))
        return
    reports = run_size(rows, stages, args.executors, args.electra)
    print(f"{rows:,} rows; frame {reports[0]['frame_bytes_per_row']:,.0f} bytes/row "
          "(memory_usage deep); scores and kept sets identical across executors\n")
    print(table(reports, stages))
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2))


def run_size(rows: int, stages: list[str], executors: str, electra_choice: str | None
             ) -> list[dict]:
    """Every executor over ``rows`` rows, results checked identical: one report each."""
    in_memory = [stage for stage in stages if stage != "dedup_files"]
    with tempfile.TemporaryDirectory(prefix="afs-scale-") as folder:
        out = Path(folder)
        electra = electra_model(electra_choice, out)
        if "dedup_files" in stages:
            write_inputs(rows, out)
        reports = []
        for name in executors.split(","):
            report = run_child(name, rows, in_memory, out, electra) if in_memory else \
                {"executor": name, "rows": rows, "frame_bytes_per_row": float("nan")}
            if "dedup_files" in stages:  # its own child: RSS without the frame
                streamed = run_child(name, rows, ["dedup_files"], out, None)
                report["dedup_files"] = streamed["dedup_files"]
                report["load"] = streamed["load"]
            reports.append(report)
            print(f"{name} done: {json.dumps(reports[-1])}", file=sys.stderr, flush=True)
        check_identical(reports, stages, out)
    return reports


def scaling_table(runs: dict[int, list[dict]], stages: list[str]) -> str:
    """One row per stage and executor: seconds and driver peak RSS at each size, rows/s at
    the largest. Generation is the synthetic rows' build (local child, before any stage)."""
    sizes = sorted(runs)
    head = " | ".join(f"{size:,} rows: s / peak MiB" for size in sizes)
    lines = [f"| stage | executor | {head} | rows/s at {sizes[-1]:,} |",
             "| --- | --- | " + " | ".join("---:" for _ in sizes) + " | ---: |"]
    local = {size: next(r for r in runs[size] if r["executor"] == "local") for size in sizes}
    cells = " | ".join(f"{local[size]['build_s']:.1f} / {local[size]['build_rss_mib']:,.0f}"
                       for size in sizes)
    lines.append(f"| generation | local | {cells} | "
                 f"{sizes[-1] / local[sizes[-1]]['build_s']:,.0f} |")
    for stage in stages:
        for name in [r["executor"] for r in runs[sizes[0]]]:
            figures = {size: next(r for r in runs[size] if r["executor"] == name)[stage]
                       for size in sizes}
            cells = " | ".join(f"{figures[size]['seconds']:.1f} / {figures[size]['rss_mib']:,.0f}"
                               for size in sizes)
            lines.append(f"| {stage} | {name} | {cells} | "
                         f"{sizes[-1] / figures[sizes[-1]]['seconds']:,.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
