"""What dedup compares and how close counts as a duplicate: ``DedupConfig``, the text a sample
is compared by, the step names its rejects carry, and the result shape."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from afs.errors import ConfigError

CLUSTER_KEY = "dup_cluster"
TOKEN_KINDS = ("words", "asm")
SKETCHES = ("fast_similarity", "permutations")
DEDUP_STEP = "dedup"
REFERENCE_STEP = "reference_dedup"
DECONTAMINATION_STEP = "decontamination"


@dataclass(frozen=True)
class DedupConfig:
    """``threshold``: estimated Jaccard over ``shingle_size``-token shingles at which two
    samples are near duplicates; ``num_perm`` and ``seed`` fix the MinHash family;
    ``tokens``: what a token is ("words": runs of word characters, single punctuation and
    newlines, found in numpy; "asm": the ASM tokenizer's BPE ids, about 20x slower, the rule
    before); ``sketch``: how the Jaccard is estimated ("fast_similarity": 8 hashes per
    shingle into ``num_perm`` bins; "permutations": ``num_perm`` hashes per shingle, the
    sketch before; see ``afs.dedup.minhash``). ``tokens="asm", sketch="permutations"`` gives
    the clusters of before bit for bit. ``ngram_size``: ASM tokens a sample must share with
    an eval sample to count as contaminated."""

    threshold: float = 0.8
    num_perm: int = 128
    shingle_size: int = 5
    seed: int = 42
    ngram_size: int = 12
    near: bool = True
    tokens: str = "words"
    sketch: str = "fast_similarity"

    def __post_init__(self) -> None:
        if self.tokens not in TOKEN_KINDS or self.sketch not in SKETCHES:
            raise ConfigError(f"dedup tokens must be one of {', '.join(TOKEN_KINDS)} and sketch "
                              f"one of {', '.join(SKETCHES)}, got {self.tokens!r} and "
                              f"{self.sketch!r}")
        if not 0.0 < self.threshold <= 1.0:
            raise ConfigError(f"dedup threshold must be in (0, 1], got {self.threshold}")
        if self.num_perm < 2 or self.shingle_size < 1 or self.ngram_size < 1:
            raise ConfigError("num_perm must be >= 2, shingle_size and ngram_size >= 1")


@dataclass
class DedupResult:
    """Kept rows (with ``dup_cluster`` in their metadata), dropped rows (with ``reject_step``
    and ``reject_reason``) and the clusters: id -> member sample ids, kept member first."""

    kept: pd.DataFrame
    rejects: pd.DataFrame
    clusters: dict[str, list[str]] = field(default_factory=dict)


TEXT_COLUMNS = ("instruction", "input", "output")


def dedup_text(frame: pd.DataFrame) -> pd.Series:
    """The text compared for near duplicates: instruction, input and output
    (TEXT_COLUMNS)."""
    return frame["instruction"].fillna("") + "\n" + frame["input"].fillna("") + "\n" + \
        frame["output"].fillna("")
