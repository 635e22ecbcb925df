"""Reference dedup and decontamination ask an index per row: the verdicts equal the
whole-frame pair rule, do not depend on how the rows are batched, and are the same on Ray."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from afs.samples.frame import concat_frames
from afs.samples.jsonl import read_jsonl_frame
from afs.dedup.config import DedupConfig, dedup_text
from afs.dedup.reference import decontaminate, dedup_against_reference
from afs.dedup.clusters import near_duplicate_pairs
from afs.samples.keys import hash_texts, leak_keys
from afs.dedup.minhash import signatures
from afs.dedup.reference import EvalIndex, ReferenceIndex
from tests.planted import planted_frame

RAW = Path(__file__).resolve().parents[2] / "data" / "01_raw"


def pair_rule_reasons(frame: pd.DataFrame, reference: pd.DataFrame,
                      config: DedupConfig) -> list:
    """The rule as a whole-frame computation (how it was first written): exact leak-key
    matches first; else the verified LSH pairs of (reference + frame) that cross, the
    smallest reference position winning."""
    ids = reference["sample_id"].to_numpy(dtype=object)
    first = pd.Series(np.arange(len(reference)), index=hash_texts(leak_keys(reference)).to_numpy())
    first = first[~first.index.duplicated()]
    found = first.reindex(hash_texts(leak_keys(frame)).to_numpy()).to_numpy()
    reasons = [f"seen_in_reference:{ids[int(i)]}" if not np.isnan(i) else None for i in found]
    if not config.near:
        return reasons
    both = concat_frames([reference, frame])
    sigs = signatures(dedup_text(both).tolist(), config.num_perm, config.shingle_size,
                      config.seed)
    left, right = near_duplicate_pairs(sigs, config.threshold)
    near: dict[int, int] = {}
    for small, large in zip(np.minimum(left, right), np.maximum(left, right), strict=True):
        if small < len(reference) <= large:
            row = int(large) - len(reference)
            near[row] = min(near.get(row, len(reference)), int(small))
    for row, ref in near.items():
        if reasons[row] is None:
            reasons[row] = f"seen_in_reference:{ids[ref]}"
    return reasons


def reference_and_new(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Planted routines split so that the new half has exact and near copies (often several
    in one bucket) of reference rows, plus unrelated shipped samples."""
    planted = planted_frame(bases=120, seed=seed)
    shipped, _ = read_jsonl_frame(RAW / "v1_training.jsonl")
    half = len(planted) // 2
    reference = concat_frames([planted.iloc[:half], shipped.iloc[:50]]).reset_index(drop=True)
    new = concat_frames([planted.iloc[half:], shipped.iloc[40:120]]).reset_index(drop=True)
    return reference, new


def test_reference_index_equals_the_pair_rule_whatever_the_batches():
    for seed, config in ((0, DedupConfig()), (1, DedupConfig(threshold=0.6, num_perm=64)),
                         (2, DedupConfig(near=False))):
        reference, new = reference_and_new(seed)
        index = ReferenceIndex(reference, config)
        got = index.reasons(new)
        assert list(got) == pair_rule_reasons(new, reference, config)
        assert sum(r is not None for r in got) > 20  # planted copies of reference rows found
        batched = np.concatenate([index.reasons(new.iloc[i:i + 17]) for i in range(0, len(new), 17)])
        assert list(batched) == list(got)


def test_eval_index_is_the_same_in_batches():
    suite, _ = read_jsonl_frame(RAW / "eval" / "eval_suite.jsonl")
    shipped, _ = read_jsonl_frame(RAW / "v1_training.jsonl")
    frame = concat_frames([shipped, suite.iloc[:5]]).reset_index(drop=True)  # 5 leaked items
    index = EvalIndex(suite, 12)
    whole = index.reasons(frame)
    assert sum(r is not None for r in whole) >= 5
    batched = np.concatenate([index.reasons(frame.iloc[i:i + 33]) for i in range(0, len(frame), 33)])
    assert list(batched) == list(whole)


def test_both_checks_on_ray_equal_local(ray_cluster):
    reference, new = reference_and_new(0)
    executor = {"kind": "ray", "num_workers": 2, "batch_size": 40}
    local = dedup_against_reference(new, reference, DedupConfig())
    on_ray = dedup_against_reference(new, reference, DedupConfig(), executor=executor)
    for mine, theirs in zip(on_ray, local, strict=True):
        pd.testing.assert_frame_equal(mine, theirs)
    assert len(local[1]) > 20
    suite, _ = read_jsonl_frame(RAW / "eval" / "eval_suite.jsonl")
    frame = concat_frames([new, suite.iloc[:5]]).reset_index(drop=True)
    local = decontaminate(frame, suite, 12)
    on_ray = decontaminate(frame, suite, 12, executor=executor)
    for mine, theirs in zip(on_ray, local, strict=True):
        pd.testing.assert_frame_equal(mine, theirs)
    assert len(local[1]) >= 5
