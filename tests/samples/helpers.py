"""Small sample factories for unit tests."""

from __future__ import annotations

import numpy as np

from afs.samples.frame import samples_to_frame
from afs.samples.model import TrainingSample

OPCODES = ("LDA", "STA", "LDX", "JSL", "REP", "SEP", "INC", "BRA")


def make_samples(n: int, domains=("asm", "docs"), sources=("oracle",), seed: int = 0,
                 prefix: str = "q", scores: bool = True) -> list[TrainingSample]:
    rng = np.random.default_rng(seed)
    samples = []
    for i in range(n):
        lines = [f"  {OPCODES[(i + j) % len(OPCODES)]} ${(i * 7 + j) & 0xFFFF:04X}" for j in range(3)]
        samples.append(TrainingSample(
            instruction=f"{prefix} routine {i}: what does Label_{i} do?",
            output="\n".join(lines),
            domain=domains[i % len(domains)],
            source=sources[i % len(sources)],
            quality_score=float(rng.random()) if scores else None,
            thinking="It loads then stores." if i % 4 == 0 else None,
            _metadata={"index": i} if i % 2 else {},
        ))
    return samples


def make_frame(n: int, **kwargs):
    return samples_to_frame(make_samples(n, **kwargs))
