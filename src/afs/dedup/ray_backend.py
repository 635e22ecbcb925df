"""Exact and MinHash near-duplicate clusters computed on Ray Data, equal to the local ones.

``cluster_labels_on_ray`` returns what ``dedup.cluster_labels`` returns (the exact and near
partition of the rows) so that ``dedup.dedup_result`` picks the same kept rows, reasons and
clusters whichever executor ran. The rows travel as Parquet shards read by Ray Data:

1. exact groups by leak key; each group's first row (smallest position) is its
   representative, as ``group_codes`` + ``np.unique(return_index)`` pick locally;
2. per representative, ``map_batches`` computes the MinHash signature (``minhash.signatures``,
   the same seed and permutations: bit-identical) and one record per LSH band;
3. grouped by (band, bucket), each bucket pairs its first member (smallest position) with
   every other member and keeps the pairs whose signatures agree on >= threshold of the slots:
   the local rule (``dedup.near_duplicate_pairs``), verified in the bucket's own task;
4. connected components of the verified edges by alternating large-star / small-star rounds
   (Kiveris et al., "Connected Components in MapReduce and Beyond", 2014) until every
   component is a star around its smallest node. Only a count of nodes not yet settled
   reaches the driver per round; at the end the driver reads one (node, root) label per
   clustered row, never the candidate or verified pair lists.

Every grouping is a Ray Data sort (equal keys land in one block) followed by one vectorised
``map_batches`` call per block: ``map_groups`` would call Python once per bucket, hundreds of
thousands of times.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from afs.dedup import minhash
from afs.dedup.config import TEXT_COLUMNS, DedupConfig, dedup_text
from afs.executors.config import ExecutorConfig, ray_session
from afs.samples.keys import leak_keys

SOURCE_COLUMNS = TEXT_COLUMNS
MAX_COMPONENT_ROUNDS = 200  # large/small-star needs O(log^2 n) rounds; this is a safety stop


def cluster_labels_on_ray(frame: pd.DataFrame, config: DedupConfig,
                          executor: ExecutorConfig) -> tuple[np.ndarray, np.ndarray]:
    """(exact, near) label of each row of ``frame`` (reset index), computed on Ray: the same
    partitions as ``dedup.cluster_labels``. Labels are row positions of each group's
    representative (exact) and of each component's smallest member (near)."""
    n = len(frame)
    rows = np.arange(n, dtype=np.int64)
    if n == 0:
        return rows, rows
    with ray_session(executor), _shard_dir(executor) as folder:
        source = _write_source_shards(frame, folder, executor.shard_rows)
        return _labels_of_source(source, n, config, executor)


def cluster_labels_of_shards(paths: list[str | Path], rows: int, config: DedupConfig,
                             executor: ExecutorConfig) -> tuple[np.ndarray, np.ndarray]:
    """``cluster_labels_on_ray`` of rows already in Parquet files (``read_parquet`` reads
    them where they are): a ``row`` column numbering the ``rows`` rows from 0, and the
    text columns."""
    if rows == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    with ray_session(executor) as ray:
        source = ray.data.read_parquet([str(path) for path in paths],
                                       columns=["row", *SOURCE_COLUMNS])
        return _labels_of_source(_sort_shuffled(source), rows, config, executor)


def _labels_of_source(source: Any, n: int, config: DedupConfig, executor: ExecutorConfig,
                      ) -> tuple[np.ndarray, np.ndarray]:
    groups = exact_groups(source, executor.batch_size).materialize()
    exact = _read_labels(groups.select_columns(["row", "rep"]), "row", "rep", n)
    labels = exact
    if config.near and n > 1:
        representatives = groups.filter(expr="row == rep")
        edges = verified_edges(representatives, config, executor.batch_size)
        roots = _read_labels(component_roots(edges), "u", "v", n)
        labels = roots[exact]
    return exact, labels


def _sort_shuffled(dataset: Any) -> Any:
    """``dataset`` (and what derives from it) grouped by the pull-based sort shuffle: it runs
    on pooled task workers, where the default hash shuffle starts aggregator actors for each
    execution (seconds apiece on a small machine; a call here runs several). The setting is
    the dataset's own copy of the context; the process-wide one is left alone."""
    from ray.data.context import ShuffleStrategy

    dataset.context.shuffle_strategy = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
    return dataset


@contextmanager
def _shard_dir(executor: ExecutorConfig) -> Iterator[Path]:
    """``work_dir/dedup`` (a cluster needs a folder every node reads) or a temporary one."""
    if executor.work_dir is not None:
        folder = Path(executor.work_dir) / "dedup"
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
    else:
        with tempfile.TemporaryDirectory(prefix="afs-dedup-") as folder:
            yield Path(folder)


def _write_source_shards(frame: pd.DataFrame, folder: Path, shard_rows: int) -> Any:
    """The text columns and row positions as Parquet shards of ``shard_rows``, read back as
    a Ray dataset (the frame is not shipped to a task in one piece)."""
    import ray.data

    shards = folder / "source"
    shards.mkdir(parents=True, exist_ok=True)
    for stale in shards.glob("*.parquet"):
        stale.unlink()
    for number, first in enumerate(range(0, len(frame), shard_rows)):
        part = frame.iloc[first: first + shard_rows]
        table = pa.table({"row": np.arange(first, first + len(part), dtype=np.int64),
                          **{c: pa.Array.from_pandas(part[c].astype(object), type=pa.string())
                             for c in SOURCE_COLUMNS}})
        path = shards / f"part-{number:05d}.parquet"
        pq.write_table(table, path.with_suffix(".tmp"))
        os.replace(path.with_suffix(".tmp"), path)  # a crash leaves no half-written shard
    return _sort_shuffled(ray.data.read_parquet(str(shards)))


def _grouped_blocks(dataset: Any, keys: list[str], block_fn: Any) -> Any:
    """``block_fn`` on whole blocks of ``dataset`` sorted by ``keys``: the sort's range
    partitioning puts all rows of a key in one block (what ``map_groups`` relies on too), and
    each block's groups are handled in one vectorised call rather than one call per group."""
    return dataset.sort(keys).map_batches(block_fn, batch_format="numpy", batch_size=None)


def _group_starts(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(group number of each row, first row of each group) of rows sorted by ``keys``."""
    change = np.zeros(len(keys[0]), dtype=bool)
    change[:1] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return np.cumsum(change) - 1, np.flatnonzero(change)


def exact_groups(source: Any, batch_size: int) -> Any:
    """Dataset of (row, rep, text): ``rep`` is the first row with the same leak key; ``text``
    (the near-dedup text) is kept on representatives only."""

    def keyed(batch: pd.DataFrame) -> dict[str, np.ndarray]:
        batch = batch.reset_index(drop=True)
        return {"row": batch["row"].to_numpy(np.int64),
                "key": leak_keys(batch).to_numpy(object),
                "text": dedup_text(batch).to_numpy(object)}

    def first_of_groups(block: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = block["row"].astype(np.int64)
        if not len(rows):
            return {"row": rows, "rep": rows, "text": np.zeros(0, object)}
        group, starts = _group_starts(block["key"])
        rep = np.minimum.reduceat(rows, starts)[group]
        return {"row": rows, "rep": rep,
                "text": np.where(rows == rep, block["text"].astype(object), "")}

    keyed_rows = source.map_batches(keyed, batch_format="pandas", batch_size=batch_size)
    return _grouped_blocks(keyed_rows, ["key"], first_of_groups)


def verified_edges(representatives: Any, config: DedupConfig, batch_size: int) -> Any:
    """Dataset of (u, v, unsettled=0), u > v: the verified near-duplicate pairs."""
    bands, rows_per_band = minhash.lsh_params(config.threshold, config.num_perm)

    def band_records(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        sigs = minhash.config_signatures(batch["text"].tolist(), config)
        keys = minhash.band_keys(sigs, bands, rows_per_band)
        return {"band": np.tile(np.arange(bands, dtype=np.int64), len(sigs)),
                "bucket": keys.reshape(-1),
                "row": np.repeat(batch["row"].astype(np.int64), bands),
                "sig": np.repeat(sigs, bands, axis=0)}

    def bucket_edges(block: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        # each bucket's first member against every other one, as near_duplicate_pairs does
        rows = block["row"].astype(np.int64)
        if not len(rows):
            return _edges(rows, rows)
        group, _ = _group_starts(block["band"], block["bucket"])
        order = np.lexsort((rows, group))
        group, rows = group[order], rows[order]
        head = np.r_[True, group[1:] != group[:-1]]
        head_at = np.flatnonzero(head)[np.cumsum(head) - 1]
        others = np.flatnonzero(~head)
        sigs = np.asarray(block["sig"])[order]
        agree = minhash.estimated_jaccard(sigs[head_at[others]], sigs[others]) >= config.threshold
        return _edges(rows[others[agree]], rows[head_at[others[agree]]])

    records = representatives.map_batches(band_records, batch_format="numpy",
                                          batch_size=batch_size)
    return _grouped_blocks(records, ["band", "bucket"], bucket_edges)


def _edges(larger: np.ndarray, smaller: np.ndarray, markers: np.ndarray | None = None,
           ) -> dict[str, np.ndarray]:
    """Undirected edges as (u, v) with u > v, then a self-loop (u, u, unsettled=1) for each
    of ``markers``: nodes whose neighbourhood is not yet a star's (dropped on reading)."""
    markers = np.zeros(0, np.int64) if markers is None else markers.astype(np.int64)
    return {"u": np.concatenate([larger.astype(np.int64), markers]),
            "v": np.concatenate([smaller.astype(np.int64), markers]),
            "unsettled": np.r_[np.zeros(len(larger), np.int64), np.ones(len(markers), np.int64)]}


def _both_directions(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    real = batch["u"] != batch["v"]
    u, v = batch["u"][real].astype(np.int64), batch["v"][real].astype(np.int64)
    return {"node": np.concatenate([u, v]), "other": np.concatenate([v, u])}


def _unique_pairs(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (first, second) pairs sorted by first, then second."""
    order = np.lexsort((second, first))
    first, second = first[order], second[order]
    fresh = np.r_[True, (first[1:] != first[:-1]) | (second[1:] != second[:-1])]
    return first[fresh], second[fresh]


def _large_star(block: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """For each node: link every larger neighbour to the smallest of the node and its
    neighbours; mark the node unless it is a centre (all neighbours larger) or a leaf (one,
    smaller, neighbour)."""
    node, other = _unique_pairs(block["node"].astype(np.int64), block["other"].astype(np.int64))
    if not len(node):
        return _edges(node, node)
    group, starts = _group_starts(node)
    lowest = other[starts]
    degree = np.diff(np.r_[starts, len(node)])
    centre = node[starts]
    smallest = np.minimum(lowest, centre)[group]
    settled = (lowest > centre) | ((degree == 1) & (lowest < centre))
    larger = other > node
    return _edges(other[larger], smallest[larger], centre[~settled])


def _small_star(block: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """For each node: link it and its smaller neighbours to the smallest of them (markers
    pass through, so a round's count needs no extra pass)."""
    u, v = block["u"].astype(np.int64), block["v"].astype(np.int64)
    markers = np.unique(u[u == v])
    u, v = _unique_pairs(u[u != v], v[u != v])
    if not len(u):
        return _edges(u, u, markers)
    group, starts = _group_starts(u)
    smallest = v[starts]  # every neighbour here is smaller than the node
    moved = v != smallest[group]
    return _edges(np.r_[u[starts], v[moved]], np.r_[smallest, smallest[group][moved]], markers)


def component_roots(edges: Any) -> Any:
    """Materialized dataset of (u, v): ``v`` is the smallest node of ``u``'s component, one
    row for every other node of each non-trivial component. Each round runs large-star then
    small-star; it stops once large-star found every node a centre or a leaf (then
    small-star changes nothing). The driver sees one count per round."""
    edges = _sort_shuffled(edges).materialize()
    for _ in range(MAX_COMPONENT_ROUNDS):
        if edges.count() == 0:
            break
        directed = edges.map_batches(_both_directions, batch_format="numpy")
        starred = _grouped_blocks(directed, ["node"], _large_star)
        edges = _grouped_blocks(starred, ["u"], _small_star).materialize()
        if _column_total(edges, "unsettled") == 0:
            break
    else:  # pragma: no cover - the algorithm converges in O(log^2 n) rounds
        raise RuntimeError("connected components did not converge")
    return edges


def _column_total(dataset: Any, column: str) -> int:
    """Sum of one integer column: each block reduces to one row, and only those reach the
    driver (``Dataset.sum`` would start an aggregation for one number)."""
    totals = dataset.map_batches(lambda batch: {column: np.array([batch[column].sum()])},
                                 batch_format="numpy", batch_size=None)
    return int(sum(batch[column].sum() for batch in totals.iter_batches(batch_format="numpy")))


def _read_labels(dataset: Any, node: str, label: str, n: int) -> np.ndarray:
    """``label`` of each of ``n`` rows from a dataset of (``node``, ``label``); unlisted rows
    label themselves. Only these labels, one per row at most, come to the driver."""
    labels = np.arange(n, dtype=np.int64)
    for batch in dataset.iter_batches(batch_format="numpy"):
        labels[batch[node].astype(np.int64)] = batch[label].astype(np.int64)
    return labels
