"""Deduplication and decontamination of sample frames.

- ``deduplicate``: exact duplicates (same normalized instruction + output, the split's leak
  key) then near duplicates (MinHash LSH over k-token shingles, estimated Jaccard >=
  ``threshold``). Each cluster keeps its best member (highest quality_score, then smallest
  sample_id); every member gets ``_metadata.dup_cluster`` (the kept member's id), each dropped
  one a reason ``duplicate_of:<id>`` or ``near_duplicate_of:<id>``.
- ``dedup_against_reference``: drop new samples already in a reference set (the rehearsal
  buffer, an older dataset) exactly or nearly: ``seen_in_reference:<id>``.
- ``decontaminate``: drop samples sharing a run of ``ngram_size`` tokens with an eval sample:
  ``contaminated:<eval id>``.

Near-duplicate clusters are the connected components of verified pairs: LSH bands (datasketch's
choice of bands and rows for the threshold) propose pairs of a bucket's first member with each
other member, and a pair counts when its signatures agree on >= ``threshold`` of the slots.
``deduplicate(..., executor={"kind": "ray"})`` computes the same clusters on Ray Data
(``afs.dedup.ray_backend``); choosing the kept members and reasons is shared. Reference dedup
and decontamination check each row against an index of the fixed set
(``afs.dedup.reference``), so they run in batches on either executor.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from afs.dedup import minhash
from afs.dedup.config import (
    CLUSTER_KEY,
    DEDUP_STEP,
    TEXT_COLUMNS,
    DedupConfig,
    DedupResult,
    dedup_text,
)
from afs.dedup.ray_backend import cluster_labels_on_ray
from afs.executors.config import ExecutorConfig
from afs.progress import Reporter, as_reporter
from afs.samples.frame import (
    metadata_values,
    with_metadata,
    with_rejects,
)
from afs.samples.keys import connected_labels, hash_texts, leak_keys


EXACT_CHUNK_ROWS = 100_000
SIGNATURE_ROWS = 100_000


def rank_order(frame: pd.DataFrame) -> np.ndarray:
    """Row positions best first: highest quality_score (missing last), then sample_id."""
    score = pd.to_numeric(frame["quality_score"], errors="coerce").fillna(-np.inf).to_numpy()
    return np.lexsort((frame["sample_id"].to_numpy(dtype=object), -score))


def near_duplicate_pairs(sigs: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Verified pairs (i, j) of rows whose signatures agree on >= threshold of slots."""
    bands, rows = minhash.lsh_params(threshold, sigs.shape[1])
    keys = minhash.band_keys(sigs, bands, rows)
    lefts, rights = [], []
    for band in range(bands):
        codes = pd.factorize(keys[:, band])[0]
        order = np.argsort(codes, kind="stable")
        sorted_codes = codes[order]
        first = np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]
        head = order[np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))]
        pairs = ~first
        lefts.append(head[pairs])
        rights.append(order[pairs])
    left, right = np.concatenate(lefts), np.concatenate(rights)
    if len(left):
        unique = np.unique(np.stack([left, right], axis=1), axis=0)
        left, right = unique[:, 0], unique[:, 1]
        keep = minhash.pair_agreement(sigs, left, right) >= threshold
        left, right = left[keep], right[keep]
    return left, right


def _signatures(frame: pd.DataFrame, rows: np.ndarray, config: DedupConfig,
                progress: Reporter) -> np.ndarray:
    """Signatures of ``rows`` of ``frame``, their texts built SIGNATURE_ROWS at a time (all
    of them at once held ~1.3 GB more at 1M rows)."""
    sigs = np.empty((len(rows), config.num_perm), dtype=np.uint32)
    columns = frame[list(TEXT_COLUMNS)]
    with progress.phase("dedup: near-duplicate signatures", len(rows), "text") as phase:
        for first in range(0, len(rows), SIGNATURE_ROWS):
            part = columns.iloc[rows[first: first + SIGNATURE_ROWS]]
            sigs[first: first + len(part)] = minhash.config_signatures(dedup_text(part), config,
                                                                       phase.update)
        phase.close()
    return sigs


def deduplicate(frame: pd.DataFrame, config: DedupConfig | None = None,
                executor: Any = None, progress: bool | Reporter = True) -> DedupResult:
    """Drop exact then near duplicates, keeping each cluster's best member. ``executor``
    (an ``ExecutorConfig`` or its parameters block) with ``kind: ray`` computes the clusters
    on Ray (``afs.dedup.ray_backend``); the result is the same as the local one.
    ``progress``: the local signatures' (:mod:`afs.progress`; silent when they take seconds)."""
    config = config or DedupConfig()
    frame = frame.reset_index(drop=True)
    if executor is not None:
        executor = ExecutorConfig.from_params(executor)
        if executor.is_ray:
            return dedup_result(frame, *cluster_labels_on_ray(frame, config, executor))
    return dedup_result(frame, *cluster_labels(frame, config, progress))


def cluster_labels(frame: pd.DataFrame, config: DedupConfig, progress: bool | Reporter = False,
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(exact, near) integer label of each row: equal leak keys share an exact label;
    near labels are the connected components of verified MinHash pairs over one
    representative (the first row) of each exact group. ``progress``: of the signatures,
    the long part."""
    n = len(frame)
    exact = exact_codes(frame)
    labels = exact
    if config.near and n > 1:
        representatives = np.unique(exact, return_index=True)[1]
        sigs = _signatures(frame, representatives, config, as_reporter(progress))
        left, right = near_duplicate_pairs(sigs, config.threshold)
        near = connected_labels(len(representatives), left, right)
        labels = near[np.searchsorted(exact[representatives], exact)] if len(near) else exact
    return exact, labels


def exact_codes(frame: pd.DataFrame) -> np.ndarray:
    """An integer per row, equal for equal leak keys, numbered by first appearance (as
    ``group_codes``). The keys are hashed (64 bits) EXACT_CHUNK_ROWS rows at a time, so
    memory holds one chunk's normalised texts, not a million of them (0.8 GB at 1M)."""
    hashes = [hash_texts(leak_keys(frame.iloc[first: first + EXACT_CHUNK_ROWS])).to_numpy()
              for first in range(0, len(frame), EXACT_CHUNK_ROWS)]
    if not hashes:
        return np.zeros(0, dtype=np.int64)
    _, first, inverse = np.unique(np.concatenate(hashes), return_index=True,
                                  return_inverse=True)
    number = np.empty(len(first), dtype=np.int64)
    number[np.argsort(first)] = np.arange(len(first))
    return number[inverse]


def dedup_result(frame: pd.DataFrame, exact: np.ndarray, labels: np.ndarray) -> DedupResult:
    """Keep each cluster's best member (rank order), mark every clustered row and give each
    dropped one its reason. Only the partitions that ``exact`` and ``labels`` (non-negative
    integers, any numbering) draw matter."""
    n = len(frame)
    ids = frame["sample_id"].to_numpy(dtype=object)
    order = rank_order(frame)
    keeper = cluster_keepers(labels, order)
    clustered = np.flatnonzero(clustered_rows(labels))
    cluster_ids = ids[keeper[clustered]]
    marked = with_metadata(frame, CLUSTER_KEY, cluster_ids, rows=clustered)
    dropped = np.flatnonzero(keeper != np.arange(n))
    reasons = pd.Series(drop_reasons(exact[dropped], exact[keeper[dropped]],
                                     ids[keeper[dropped]]), dtype=object)
    clusters: dict[str, list[str]] = {}
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    for position in clustered[np.argsort(rank[clustered], kind="stable")]:
        clusters.setdefault(ids[keeper[position]], []).append(ids[position])
    kept = marked.iloc[np.flatnonzero(keeper == np.arange(n))].reset_index(drop=True)
    rejects = with_rejects(marked.iloc[dropped], DEDUP_STEP, reasons.to_numpy())
    return DedupResult(kept, rejects.reset_index(drop=True), clusters)


def cluster_keepers(labels: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Position of each row's cluster's best member: the one first in rank ``order``."""
    if not len(labels):
        return np.zeros(0, dtype=np.int64)
    clusters, first = np.unique(labels[order], return_index=True)
    return order[first][np.searchsorted(clusters, labels)]


def clustered_rows(labels: np.ndarray) -> np.ndarray:
    """Which rows share their label with another row (they get a ``dup_cluster`` mark)."""
    _, inverse, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    return sizes[inverse] > 1


def drop_reasons(exact: np.ndarray, keeper_exact: np.ndarray, keeper_ids: np.ndarray,
                 ) -> np.ndarray:
    """``duplicate_of:<id>`` for a dropped row exactly equal to its keeper, else
    ``near_duplicate_of:<id>``."""
    kind = np.where(exact == keeper_exact, "duplicate_of:", "near_duplicate_of:")
    return kind.astype(object) + np.asarray(keeper_ids, dtype=object).astype(str)


def duplicate_clusters(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Cluster id -> member sample ids, read back from ``_metadata.dup_cluster`` of a frame
    (kept rows and rejects together give whole clusters)."""
    clusters: dict[str, list[str]] = {}
    for sample_id, cluster in zip(frame["sample_id"], metadata_values(frame, CLUSTER_KEY),
                                  strict=True):
        if cluster is not None:
            clusters.setdefault(cluster, []).append(sample_id)
    return clusters
