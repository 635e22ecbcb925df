"""Write the shipped example data into data/01_raw/ (deterministic: same bytes every run).

    python scripts/make_sample_data.py [--root DIR]

- data/01_raw/v1_training.jsonl: the last model's training data (all five domains, scored)

The new data curation takes comes from the data_generation pipeline (the shipped asm tree and
.context under data/01_raw), through quality_scoring; it is not written here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from afs.generators.synthetic import DOMAINS, synthetic_samples
from afs.samples.jsonl import write_jsonl_frame

# file -> (rows, seed, domains, sources, first address index)
RAW_FILES = {
    "v1_training.jsonl": (400, 1, DOMAINS, ("oracle_of_secrets", "usdasm_disassembly"), 0),
}


def make_sample_data(raw_dir: Path) -> list[Path]:
    """Write every file of RAW_FILES under ``raw_dir``; returns the paths written."""
    written = []
    for name, (rows, seed, domains, sources, start) in RAW_FILES.items():
        frame = synthetic_samples(rows, seed=seed, domains=domains, sources=sources, start=start)
        written.append(write_jsonl_frame(frame, raw_dir / name))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                        help="project root (data/01_raw is written under it)")
    args = parser.parse_args()
    for path in make_sample_data(args.root / "data" / "01_raw"):
        print(path)


if __name__ == "__main__":
    main()
