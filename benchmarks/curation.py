"""Time the curation steps through the public API against a pyarrow/pandas I/O floor.

    python benchmarks/curation.py [--n 1000000] [--workdir /tmp/afs-bench] [--keep]

N samples are generated once (synthetic 65816 samples, 5 domains, 3 sources, random quality
scores). rehearsal-mix reads them as two halves (v1 -> buffer, new), rebalance as three source
files (40/30/30), split and convert as one file. Each step reads JSONL and writes JSONL, and
runs in a fresh subprocess so its peak RSS is its own. The floor of a step reads the same input file(s) with pyarrow.json and writes the same
number of output rows with pandas.to_json, and nothing else, in its own subprocess too. The
physical floor reads and parses the input bytes once (pyarrow.json, all cores) and writes
nothing: no step can go below it.
Prints a markdown table: step, seconds, floor seconds, ratio, parse-only seconds, the same in
CPU seconds (user + system of the child after its interpreter started, all threads: steadier
than wall time on a shared machine), peak RSS of step and floor.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

WEIGHTS = {"oracle": 0.4, "memory": 0.3, "history": 0.3}


# ----------------------------------------------------------------------------- data
def make_data(workdir: Path, n: int) -> None:
    """N samples, written as all.jsonl, as two halves (v1 = the last model's data, new = the
    new data) and as three source files for rebalance (setup, not timed)."""
    from afs.generators.synthetic import synthetic_samples
    from afs.samples.jsonl import write_jsonl_frame

    workdir.mkdir(parents=True, exist_ok=True)
    frame = synthetic_samples(n, seed=1)
    write_jsonl_frame(frame, workdir / "all.jsonl")
    write_jsonl_frame(frame.iloc[: n // 2], workdir / "v1.jsonl")
    write_jsonl_frame(frame.iloc[n // 2 :], workdir / "new.jsonl")
    bounds = [0, n * 4 // 10, n * 7 // 10, n]
    for index, name in enumerate(WEIGHTS):
        write_jsonl_frame(frame.iloc[bounds[index] : bounds[index + 1]], workdir / f"{name}.jsonl")


# ----------------------------------------------------------------------------- steps
def step_rehearsal_mix(w: Path) -> list[Path]:
    from afs.training import RehearsalBuffer, RehearsalBufferConfig, load_jsonl, save_jsonl

    buffer = RehearsalBuffer(RehearsalBufferConfig(top_ratio=0.3))
    buffer.load_from_jsonl(w / "v1.jsonl", version="v1")
    buffer.select_top_samples(ratio=0.3)
    mixed = buffer.merge_with_new_data(load_jsonl(w / "new.jsonl"), rehearsal_ratio=0.3, seed=42)
    return [save_jsonl(mixed, w / "out_mix.jsonl")]


def step_rebalance(w: Path) -> list[Path]:
    from afs.training import rebalance_datasets, save_jsonl

    samples = rebalance_datasets([w / f"{name}.jsonl" for name in WEIGHTS], WEIGHTS,
                                 min_quality_score=0.3, seed=42)
    return [save_jsonl(samples, w / "out_rebalance.jsonl")]


def step_split(w: Path) -> list[Path]:
    from afs.training import split_dataset
    from afs.curation.split import write_splits

    splits = split_dataset(w / "all.jsonl", train_ratio=0.8, val_ratio=0.1, test_ratio=0.1,
                           stratify_by="domain", seed=42)
    return list(write_splits(splits, w / "out_split").values())


def step_convert(w: Path) -> list[Path]:
    from afs.curation.export import convert_jsonl

    convert_jsonl(w / "all.jsonl", w / "out_convert.jsonl", "openai")
    return [w / "out_convert.jsonl"]


STEPS = {
    "rehearsal-mix": (step_rehearsal_mix, ["v1.jsonl", "new.jsonl"]),
    "rebalance": (step_rebalance, [f"{name}.jsonl" for name in WEIGHTS]),
    "split": (step_split, ["all.jsonl"]),
    "convert": (step_convert, ["all.jsonl"]),
}


def floor(w: Path, inputs: list[str], output_rows: list[int]) -> None:
    """Read the inputs with pyarrow, write the same row counts with pandas: nothing else."""
    import pandas as pd
    import pyarrow.json as pj

    tables = [pj.read_json(w / name) for name in inputs]
    frame = pd.concat([t.to_pandas() for t in tables], ignore_index=True)
    for index, rows in enumerate(output_rows):
        source = frame.iloc[:rows] if rows <= len(frame) else pd.concat([frame] * (rows // len(frame) + 1)).iloc[:rows]
        source.to_json(w / f"floor_out_{index}.jsonl", orient="records", lines=True)


def parse_floor(w: Path, inputs: list[str]) -> None:
    """Read and parse the input bytes once (pyarrow, every core), and nothing else."""
    import pyarrow.json as pj

    for name in inputs:
        pj.read_json(w / name)


def count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b""))


# ----------------------------------------------------------------------------- driver
def run_child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def best_of(runs: list[dict]) -> dict:
    """Fastest time and least CPU (a shared VM adds noise, never speed); highest peak memory."""
    return {**min(runs, key=lambda r: r["seconds"]), "peak_mb": max(r["peak_mb"] for r in runs),
            "cpu_s": min(r["cpu_s"] for r in runs)}


def measure(name: str, workdir: Path, repeat: int) -> tuple[dict, dict, dict]:
    """Step, floor and parse floor, alternating, ``repeat`` times each."""
    steps, floors, parses = [], [], []
    for _ in range(repeat):
        steps.append(run_child(["--child", "step", "--name", name, "--workdir", str(workdir)]))
        floors.append(run_child(["--child", "floor", "--name", name, "--workdir", str(workdir),
                                 "--rows", json.dumps(steps[-1]["rows"])]))
        parses.append(run_child(["--child", "parse", "--name", name, "--workdir", str(workdir)]))
    return best_of(steps), best_of(floors), best_of(parses)


def child(args: argparse.Namespace) -> None:
    w = Path(args.workdir)
    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = before.ru_utime + before.ru_stime  # the interpreter's start, not the step
    start = time.perf_counter()
    if args.child == "step":
        outputs = STEPS[args.name][0](w)
        rows = [count_lines(p) for p in outputs]
    elif args.child == "parse":
        rows = []
        parse_floor(w, STEPS[args.name][1])
    else:
        rows = json.loads(args.rows)
        floor(w, STEPS[args.name][1], rows)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "rows": rows,
                      "cpu_s": usage.ru_utime + usage.ru_stime - cpu_before}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000,
                        help="samples in all; each step reads all of them once")
    parser.add_argument("--workdir", default="/tmp/afs-bench")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse data kept in --workdir by an earlier --keep run")
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated steps")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each step and floor; the fastest counts")
    parser.add_argument("--child", choices=("step", "floor", "parse"), help=argparse.SUPPRESS)
    parser.add_argument("--name", help=argparse.SUPPRESS)
    parser.add_argument("--rows", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    workdir = Path(args.workdir)
    started = time.perf_counter()
    if not (args.reuse and (workdir / "v1.jsonl").exists()):
        make_data(workdir, args.n)
    size_mb = (workdir / "all.jsonl").stat().st_size / 1e6
    print(f"data: {args.n:,} samples ({size_mb:,.0f} MB of JSONL), ready in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    print("| step | output rows | seconds | floor s | ratio | parse-only s | CPU s | floor CPU s "
          "| CPU ratio | parse-only CPU s | peak MB | floor peak MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
          flush=True)
    for name in args.steps.split(","):
        step, base, parse = measure(name, workdir, args.repeat)
        print(f"| {name} | {sum(step['rows']):,} | {step['seconds']:.1f} | {base['seconds']:.1f} "
              f"| {step['seconds'] / base['seconds']:.2f}x | {parse['seconds']:.1f} "
              f"| {step['cpu_s']:.1f} | {base['cpu_s']:.1f} | {step['cpu_s'] / base['cpu_s']:.2f}x "
              f"| {parse['cpu_s']:.1f} | {step['peak_mb']:,.0f} | {base['peak_mb']:,.0f} |",
              flush=True)
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
