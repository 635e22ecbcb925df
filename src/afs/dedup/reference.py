"""Checks of each sample against a fixed set: a reference dataset (already trained on) and
an eval suite (never to train on). Each is an index built once, then asked row by row, so a
sample's verdict depends only on the sample and the set: a frame can be checked whole or in
batches on any executor with the same result (``executor=`` runs the batches through
``afs.executors``, the index built once per worker).

- ``ReferenceIndex``: ``seen_in_reference:<id>`` for a sample whose leak key equals a
  reference sample's (the first such), else for one whose MinHash signature agrees on >=
  ``threshold`` of the slots with the first reference sample of one of its LSH buckets
  (the smallest such reference position wins). This is the rule ``near_duplicate_pairs``
  applies to the reference followed by the new samples, restricted to the pairs that cross.
- ``EvalIndex``: ``contaminated:<eval id>`` for a sample sharing a run of ``ngram_size``
  tokens with an eval sample (an eval sample shorter than that counts as one n-gram).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from afs.dedup import minhash
from afs.dedup.config import DECONTAMINATION_STEP, REFERENCE_STEP, DedupConfig, dedup_text
from afs.executors import ExecutorConfig, map_frame
from afs.samples.frame import with_rejects
from afs.samples.keys import hash_texts, leak_keys

TEXT_COLUMNS = ["instruction", "input", "output"]
INDEX_COLUMNS = ["sample_id", *TEXT_COLUMNS]  # what an index needs of its set (shipped once)
REASON = "reason"
# Rows checked at once in this process: the n-gram hashes of a chunk take ~30 KB a row (the
# whole 200k-row frame at once peaked at 6.3 GB); verdicts do not depend on the chunking.
LOCAL_CHUNK_ROWS = 20_000


def _texts(frame: pd.DataFrame) -> pd.Series:
    return dedup_text(frame)


def _lookup(table: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position in the sorted ``table`` of each key, whether it is there)."""
    position = np.searchsorted(table, keys)
    clipped = np.minimum(position, max(len(table) - 1, 0))
    found = (position < len(table)) & (table[clipped] == keys) if len(table) else \
        np.zeros(len(keys), dtype=bool)
    return clipped, found


class ReferenceIndex:
    """A reference set's leak keys, MinHash signatures and LSH buckets (each bucket key with
    the first reference row in it), asked with ``reasons(frame)``."""

    def __init__(self, reference: pd.DataFrame, config: Any):
        reference = reference.reset_index(drop=True)
        self.config = config
        self.ids = reference["sample_id"].to_numpy(dtype=object)
        hashes = hash_texts(leak_keys(reference)).to_numpy() if len(reference) else \
            np.zeros(0, np.uint64)
        self.exact_keys, self.exact_rows = np.unique(hashes, return_index=True)
        self.bands, self.rows_per_band = minhash.lsh_params(config.threshold, config.num_perm)
        self.buckets: list[tuple[np.ndarray, np.ndarray]] = []
        if config.near and len(reference):
            self.signatures = self._signatures(reference)
            keys = minhash.band_keys(self.signatures, self.bands, self.rows_per_band)
            self.buckets = [np.unique(keys[:, band], return_index=True)
                            for band in range(self.bands)]

    def _signatures(self, frame: pd.DataFrame) -> np.ndarray:
        return minhash.config_signatures(_texts(frame), self.config)

    def reasons(self, frame: pd.DataFrame) -> np.ndarray:
        """``seen_in_reference:<id>`` or None for each row of ``frame``."""
        reasons = np.full(len(frame), None, dtype=object)
        if not len(frame) or not len(self.ids):
            return reasons
        frame = frame.reset_index(drop=True)
        position, exact = _lookup(self.exact_keys, hash_texts(leak_keys(frame)).to_numpy())
        match = np.where(exact, self.exact_rows[position], -1)
        if self.buckets:
            near = self._near_matches(frame)
            match = np.where(exact, match, near)
        seen = match >= 0
        reasons[seen] = ["seen_in_reference:" + self.ids[row] for row in match[seen]]
        return reasons

    def _near_matches(self, frame: pd.DataFrame) -> np.ndarray:
        """The smallest reference row verified near each row (-1: none)."""
        signatures = self._signatures(frame)
        keys = minhash.band_keys(signatures, self.bands, self.rows_per_band)
        none = len(self.ids)
        best = np.full(len(frame), none, dtype=np.int64)
        for band, (bucket_keys, first_rows) in enumerate(self.buckets):
            position, found = _lookup(bucket_keys, keys[:, band])
            rows = np.flatnonzero(found)
            heads = first_rows[position[rows]]
            agree = minhash.estimated_jaccard(self.signatures[heads], signatures[rows]) >= \
                self.config.threshold
            best[rows[agree]] = np.minimum(best[rows[agree]], heads[agree])
        return np.where(best < none, best, -1)


class EvalIndex:
    """The token n-grams of an eval suite, asked with ``reasons(frame)``."""

    def __init__(self, eval_frame: pd.DataFrame, ngram_size: int):
        self.eval_ids = eval_frame["sample_id"].to_numpy(dtype=object)
        ids, offsets = minhash.token_ids(_texts(eval_frame).tolist())
        hashes, self.owner = minhash.ngram_hashes(ids, offsets, ngram_size)
        self.table, self.first = np.unique(hashes, return_index=True)
        lengths = np.diff(offsets)
        # runs of ngram_size tokens, and of each shorter eval text's whole length
        self.sizes = sorted({ngram_size, *lengths[(lengths > 0) & (lengths < ngram_size)]
                             .tolist()})

    def reasons(self, frame: pd.DataFrame) -> np.ndarray:
        """``contaminated:<first eval id matched>`` or None for each row of ``frame``."""
        reasons = np.full(len(frame), None, dtype=object)
        if not len(frame) or not len(self.eval_ids):
            return reasons
        ids, offsets = minhash.token_ids(_texts(frame.reset_index(drop=True)).tolist())
        runs = [minhash.ngram_hashes(ids, offsets, int(size), short="skip")
                for size in self.sizes]
        hashes = np.concatenate([h for h, _ in runs])
        owner = np.concatenate([o for _, o in runs])
        position, hit = _lookup(self.table, hashes)
        matched = pd.DataFrame({"row": owner[hit],
                                "eval": self.owner[self.first[position[hit]]]})
        matched = matched.sort_values(["row", "eval"]).drop_duplicates("row")
        reasons[matched["row"].to_numpy()] = ["contaminated:" + self.eval_ids[e]
                                             for e in matched["eval"].to_numpy()]
        return reasons


class IndexCheck:
    """A seam stage: per worker, ``build()`` makes the index once (e.g.
    ``partial(ReferenceIndex, reference[INDEX_COLUMNS], config)``); each batch gets its rows'
    reasons."""

    def __init__(self, build: Callable[[], Any]):
        self.build = build

    def __call__(self) -> Callable[[pd.DataFrame], pd.DataFrame]:
        index = self.build()
        # "" for no reason: a batch of only None would be a null column, which Parquet
        # shards cannot be combined with the string ones
        return lambda batch: pd.DataFrame({REASON: [reason or "" for reason in
                                                    index.reasons(batch)]}, index=batch.index)


def check_reasons(frame: pd.DataFrame, build: Callable[[], Any], executor: Any,
                  stage: str) -> np.ndarray:
    """Each row's reason from the index ``build()`` makes: in this process on the whole
    frame, or (``executor`` with ``kind: ray``) in batches on the cluster."""
    config = ExecutorConfig.from_params(executor)
    if not config.is_ray:
        index = build()
        parts = [index.reasons(frame.iloc[start:start + LOCAL_CHUNK_ROWS])
                 for start in range(0, len(frame), LOCAL_CHUNK_ROWS)]
        return np.concatenate(parts) if parts else np.full(0, None, dtype=object)
    checked = map_frame(frame[TEXT_COLUMNS], IndexCheck(build), config, stage=stage)
    return np.array([reason or None for reason in checked[REASON]], dtype=object)


def dedup_against_reference(frame: pd.DataFrame, reference: pd.DataFrame,
                            config: DedupConfig | None = None, executor: Any = None,
                            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop rows of ``frame`` that ``reference`` already holds, exactly or nearly
    (``seen_in_reference:<reference id>``; rule: ``ReferenceIndex``).
    ``executor`` with ``kind: ray`` checks the rows in batches on the cluster, with the same
    result. Returns (kept, rejects)."""
    config = config or DedupConfig()
    frame = frame.reset_index(drop=True)
    build = partial(ReferenceIndex, reference[INDEX_COLUMNS], config)
    reasons = check_reasons(frame, build, executor, REFERENCE_STEP)
    return _split(frame, reasons, REFERENCE_STEP)


def _split(frame: pd.DataFrame, reasons: np.ndarray, step: str,
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    dropped = pd.notna(reasons)
    kept = frame.iloc[np.flatnonzero(~dropped)].reset_index(drop=True)
    rejects = with_rejects(frame.iloc[np.flatnonzero(dropped)], step, reasons[dropped])
    return kept, rejects.reset_index(drop=True)


def decontaminate(frame: pd.DataFrame, eval_frame: pd.DataFrame, ngram_size: int = 12,
                  executor: Any = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop rows sharing a run of ``ngram_size`` tokens with an eval sample (an eval sample
    shorter than that counts as one n-gram: a row holding its whole text is contaminated).
    Reason ``contaminated:<eval id>`` names the first eval sample matched. ``executor`` with
    ``kind: ray`` checks the rows in batches on the cluster, with the same result. Returns
    (kept, rejects)."""
    frame = frame.reset_index(drop=True)
    build = partial(EvalIndex, eval_frame[INDEX_COLUMNS], ngram_size)
    reasons = check_reasons(frame, build, executor, DECONTAMINATION_STEP)
    return _split(frame, reasons, DECONTAMINATION_STEP)
