"""Samples with planted exact and near duplicates, for the dedup tests of either executor."""

from __future__ import annotations

import numpy as np
import pandas as pd

from afs.samples import TrainingSample
from afs.samples.frame import samples_to_frame


def routine(seed: int, lines: int = 16) -> str:
    return "\n".join(f"  LDA ${(seed * 7 + i) % 256:02X}\n  STA $7E{(seed * 31 + i) % 65536:04X}"
                     f"\n  {'INC' if (seed + i) % 3 else 'DEC'} A" for i in range(lines))


def planted_frame(bases: int = 500, seed: int = 0) -> pd.DataFrame:
    """``bases`` distinct routines, and for some of them near copies (one or a chain of
    operand edits), exact copies (case and whitespace changed) and tied or missing scores."""
    rng = np.random.default_rng(seed)
    samples = []
    for base in range(bases):
        text = routine(base)
        score = None if base % 11 == 0 else float(rng.integers(0, 4)) / 4
        samples.append(TrainingSample(f"What does routine {base} do?", text, quality_score=score))
        if base % 3 == 0:  # a chain of edits: each copy near the previous one
            for step in range(1 + base % 4):
                text = text.replace(f"$7E{(base * 31 + step) % 65536:04X}", "$7EFFFF")
                samples.append(TrainingSample(f"What does routine {base} do?", text,
                                              quality_score=float(rng.integers(0, 4)) / 4))
        if base % 5 == 0:
            samples.append(TrainingSample(f"what  does ROUTINE {base} do?", text + "\n",
                                          quality_score=0.5))
    order = rng.permutation(len(samples))
    return samples_to_frame([samples[i] for i in order])
