"""Deduplicate JSONL files too big to hold as one frame, on either executor.

``dedup_files`` makes the same decisions as ``dedup.deduplicate`` on the inputs read one
after the other (tested): the same kept rows in the same order, the same rejects and
reasons, the same ``_metadata.dup_cluster`` marks. It never holds the whole set:

1. the inputs are streamed into Parquet shards of ``shard_rows`` rows under the work
   folder, each with its global ``row`` number (written atomically);
2. the exact and near labels come from the shards: on Ray, Ray Data reads them
   (``read_parquet``) and ``dedup_ray`` clusters them; locally, only the text columns are
   read and ``dedup.cluster_labels`` runs on them;
3. the driver keeps two integers per row (the labels) and, for rows in a cluster of two or
   more only, the score and sample id that pick each cluster's keeper;
4. the kept rows and the rejects are streamed out shard by shard, the two files committed as
   one unit (a kill leaves both old or both new; no rejects: an old rejects file is removed).

Resume: ``work_folder/manifest.json`` names the inputs (path, size, modification time) and
the shard size the shards were cut for, so a re-run over unchanged inputs reuses them; the
labels are saved beside them (``labels.npz``) with the settings they were computed for, so a
run that died while writing the outputs resumes there. Without a work folder a temporary one
is used and nothing is kept.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from afs.atomic_dir import atomic_outputs, atomic_write
from afs.dedup.clusters import (
    cluster_keepers,
    cluster_labels,
    clustered_rows,
    drop_reasons,
    rank_order,
)
from afs.dedup.config import CLUSTER_KEY, DEDUP_STEP, DedupConfig
from afs.dedup.ray_backend import cluster_labels_of_shards
from afs.errors import ConfigError
from afs.executors.config import ExecutorConfig
from afs.samples.frame import normalize_frame, with_metadata, with_rejects
from afs.samples.jsonl import iter_jsonl_tables, jsonl_frame_writer
from afs.samples.reasons import reason_counts

ROW = "row"
TEXT_COLUMNS = ["instruction", "input", "output"]
MANIFEST = "manifest.json"
LABELS = "labels.npz"


@dataclass
class DedupFilesReport:
    """What ``dedup_files`` did (``afs training dedup`` prints it as its summary line)."""

    inputs: list[str]
    rows: int = 0
    kept: int = 0
    rejected: int = 0
    clusters: int = 0
    reasons: Counter = field(default_factory=Counter)
    shards: int = 0
    shards_reused: bool = False
    labels_reused: bool = False
    seconds: float = 0.0


@dataclass
class SourceShards:
    """The inputs as Parquet shards: their files, each one's first row, the row count, and
    a key naming the inputs and the shard size they came from."""

    paths: list[Path]
    starts: list[int]
    rows: int
    key: str
    reused: bool = False


@dataclass
class Keepers:
    """For each row in a cluster of two or more (``rows``, ascending): the row that is kept
    for its cluster and that row's sample id."""

    rows: np.ndarray
    keeper_rows: np.ndarray
    keeper_ids: np.ndarray


def dedup_files(inputs: Sequence[str | Path], output_path: str | Path,
                rejects_path: str | Path, config: DedupConfig | None = None,
                executor: ExecutorConfig | dict | str | None = None, *,
                work_dir: str | Path | None = None, progress: bool = False,
                allow_empty: bool = False) -> DedupFilesReport:
    """Drop exact then near duplicates across the JSONL ``inputs`` (read in order) into
    ``output_path`` (kept rows) and ``rejects_path`` (dropped rows with their reasons), as
    ``deduplicate`` would, without holding the set in memory. ``work_dir`` (default: the
    executor's ``work_dir``; on a multi-node cluster a folder every node reads) keeps the
    shards and clusters between runs. An input without records is an error unless
    ``allow_empty`` (afs.jsonl_input)."""
    started = time.perf_counter()
    config = config or DedupConfig()
    executor = ExecutorConfig.from_params(executor)
    paths = [Path(path).expanduser() for path in inputs]
    if not paths:
        raise ConfigError("dedup needs at least one input file")
    report = DedupFilesReport(inputs=[str(path) for path in paths])
    with _work_folder(work_dir or executor.work_dir) as work:
        source = source_shards(paths, work, executor.shard_rows, progress, allow_empty)
        exact, labels, report.labels_reused = shard_labels(source, config, executor, work,
                                                           progress)
        keepers = find_keepers(source, labels)
        with atomic_outputs([output_path, rejects_path]) as staged, \
                jsonl_frame_writer(staged[output_path], progress, source.rows) as write_kept, \
                jsonl_frame_writer(staged[rejects_path], only_if_rows=True) as write_rejects:
            for kept, rejects in _decided_shards(source, exact, keepers):
                write_kept(kept)
                write_rejects(rejects)
                report.reasons.update(reason_counts(rejects["reject_reason"]))
    report.rows, report.shards, report.shards_reused = source.rows, len(source.paths), source.reused
    report.rejected = sum(report.reasons.values())
    report.kept = report.rows - report.rejected
    report.clusters = len(np.unique(keepers.keeper_rows))
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def _work_folder(work_dir: str | Path | None) -> Iterator[Path]:
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="afs-dedup-files-") as folder:
            yield Path(folder)
        return
    folder = Path(work_dir).expanduser() / "dedup_files"
    folder.mkdir(parents=True, exist_ok=True)
    yield folder


def _inputs_key(paths: list[Path], shard_rows: int) -> str:
    stats = [(str(path.resolve()), stat.st_size, stat.st_mtime_ns)
             for path in paths if path.is_file() for stat in [path.stat()]]
    return hashlib.sha256(json.dumps([stats, shard_rows]).encode()).hexdigest()


def source_shards(paths: list[Path], work: Path, shard_rows: int,
                  progress: bool = False, allow_empty: bool = False) -> SourceShards:
    """The inputs as numbered Parquet shards under ``work/shards``, reused when the manifest
    says they were cut from these very inputs; a bad line is an error naming its file and
    line, before any output is written."""
    key = _inputs_key(paths, shard_rows)
    manifest_path = work / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    folder = work / "shards"
    if manifest.get("key") == key and all((folder / name).is_file()
                                          for name in manifest["shards"]):
        return SourceShards([folder / name for name in manifest["shards"]], manifest["starts"],
                            manifest["rows"], key, reused=True)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.parquet"):
        stale.unlink()
    shards = SourceShards([], [], 0, key)
    pending: list[pa.Table] = []
    pending_rows = 0
    for path in paths:
        for table in iter_jsonl_tables(path, progress=progress, allow_empty=allow_empty):
            pending.append(table)
            pending_rows += len(table)
            if pending_rows >= shard_rows:
                whole = pa.concat_tables(pending)
                for first in range(0, len(whole) - shard_rows + 1, shard_rows):
                    _write_shard(whole.slice(first, shard_rows), folder, shards)
                pending_rows = len(whole) % shard_rows
                pending = [whole.slice(len(whole) - pending_rows)] if pending_rows else []
    if pending:
        _write_shard(pa.concat_tables(pending), folder, shards)
    with atomic_write(manifest_path, "w") as handle:
        json.dump({"key": key, "shards": [path.name for path in shards.paths],
                   "starts": shards.starts, "rows": shards.rows}, handle, indent=2)
    return shards


def _write_shard(table: pa.Table, folder: Path, shards: SourceShards) -> None:
    path = folder / f"shard-{len(shards.paths):05d}.parquet"
    rows = pa.array(np.arange(shards.rows, shards.rows + len(table), dtype=np.int64))
    with atomic_write(path) as handle:
        pq.write_table(table.append_column(ROW, rows), handle)
    shards.paths.append(path)
    shards.starts.append(shards.rows)
    shards.rows += len(table)


def shard_labels(source: SourceShards, config: DedupConfig, executor: ExecutorConfig,
                 work: Path, progress: bool = False) -> tuple[np.ndarray, np.ndarray, bool]:
    """(exact, near) labels of every row and whether they were reused from an earlier run
    over the same shards and settings; ``progress`` of the local clustering."""
    key = hashlib.sha256(json.dumps([source.key, asdict(config)]).encode()).hexdigest()
    saved = work / LABELS
    try:
        with np.load(saved) as data:
            if str(data["key"]) == key:
                return data["exact"], data["labels"], True
    except (OSError, ValueError, KeyError):
        pass
    if not source.rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), False
    if executor.is_ray:
        exact, labels = cluster_labels_of_shards(source.paths, source.rows, config, executor)
    else:
        texts = [pq.read_table(path, columns=TEXT_COLUMNS) for path in source.paths]
        exact, labels = cluster_labels(pa.concat_tables(texts).to_pandas(), config, progress)
    buffer = io.BytesIO()
    np.savez(buffer, key=np.array(key), exact=exact, labels=labels)
    with atomic_write(saved) as handle:
        handle.write(buffer.getvalue())
    return exact, labels, False


def find_keepers(source: SourceShards, labels: np.ndarray) -> Keepers:
    """Each clustered row's keeper, ranked as ``deduplicate`` ranks (highest quality_score,
    then smallest sample_id), reading the score and id of clustered rows only."""
    rows = np.flatnonzero(clustered_rows(labels)) if len(labels) else np.zeros(0, np.int64)
    scores, ids = [], []
    for path, start in zip(source.paths, source.starts, strict=True):
        table = pq.read_table(path, columns=["quality_score", "sample_id"])
        inside = rows[(rows >= start) & (rows < start + len(table))] - start
        picked = table.take(pa.array(inside)).to_pandas()
        scores.append(picked["quality_score"])
        ids.append(picked["sample_id"])
    ranked = pd.DataFrame({"quality_score": pd.concat(scores, ignore_index=True) if scores
                           else pd.Series([], dtype=float),
                           "sample_id": pd.concat(ids, ignore_index=True) if ids
                           else pd.Series([], dtype=object)})
    keeper = cluster_keepers(labels[rows], rank_order(ranked))
    return Keepers(rows, rows[keeper], ranked["sample_id"].to_numpy(dtype=object)[keeper])


def _decided_shards(source: SourceShards, exact: np.ndarray, keepers: Keepers,
                    ) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """(kept rows, rejected rows) of each shard, in row order."""
    for path, start in zip(source.paths, source.starts, strict=True):
        frame = normalize_frame(pq.read_table(path).to_pandas().drop(columns=[ROW]))
        first, last = np.searchsorted(keepers.rows, [start, start + len(frame)])
        rows = keepers.rows[first:last]
        keeper_rows = keepers.keeper_rows[first:last]
        keeper_ids = keepers.keeper_ids[first:last]
        marked = with_metadata(frame, CLUSTER_KEY, keeper_ids, rows=rows - start)
        dropped = keeper_rows != rows
        reasons = drop_reasons(exact[rows[dropped]], exact[keeper_rows[dropped]],
                               keeper_ids[dropped])
        is_dropped = np.zeros(len(frame), dtype=bool)
        is_dropped[rows[dropped] - start] = True
        kept = marked.iloc[np.flatnonzero(~is_dropped)].reset_index(drop=True)
        rejects = with_rejects(marked.iloc[rows[dropped] - start], DEDUP_STEP, reasons)
        yield kept, rejects.reset_index(drop=True)
