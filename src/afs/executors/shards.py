"""A stage run over Parquet shards, each output shard written atomically, resumable.

``output_dir`` holds ``input/shard-NNNNN/`` (the numbered input, ``shard_rows`` rows each,
rounded up to whole batches so a batch never straddles two shards; one Parquet file per
batch, so that Ray reads each batch as one block and hands it whole to one actor),
``output/shard-NNNNN/`` (the stage's output of that shard: a folder of Parquet files, moved
into place only once complete) and ``manifest.json`` (each done shard's input hash). A re-run
skips every shard whose output folder exists and whose input hash (the shard's Parquet bytes
and the stage's ``fingerprint``) matches; a shard whose input changed, or whose output was
deleted, is done again. Shards are processed one after the other, each by the whole cluster,
so each output shard is complete or absent whatever dies when.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from afs.atomic_dir import atomic_directory, atomic_write
from afs.executors.batches import BATCH, ROW, BatchRunner, FunctionFactory, numbered
from afs.executors.config import ExecutorConfig, ray_session
from afs.executors.ray_backend import process_shard_on_ray

MANIFEST = "manifest.json"
OUTPUT_FILE = "part-00000.parquet"  # the local executor's one file per output shard

ShardProcessor = Callable[[Path, Path], None]  # (input shard folder, output shard folder)


@dataclass
class ShardReport:
    """What a sharded run did: shards in all, those processed now and those resumed."""

    shards: int = 0
    rows: int = 0
    processed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{self.rows} rows in {self.shards} shards: {len(self.processed)} processed, "
                f"{len(self.skipped)} already done, {self.seconds:.1f}s")


def shard_size(config: ExecutorConfig) -> int:
    """``shard_rows`` rounded up to a whole number of batches."""
    batches = -(-config.shard_rows // config.batch_size)
    return batches * config.batch_size


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def batch_files(shard: pd.DataFrame, batch_size: int) -> list[tuple[str, bytes]]:
    """(file name, Parquet bytes) of each batch of a numbered shard."""
    first = int(shard[BATCH].iloc[0]) if len(shard) else 0
    return [(f"batch-{first + k:08d}.parquet", parquet_bytes(shard.iloc[start:start + batch_size]))
            for k, start in enumerate(range(0, max(len(shard), 1), batch_size))]


def write_input_shard(files: list[tuple[str, bytes]], folder: Path) -> None:
    with atomic_directory(folder) as staging:
        for name, data in files:
            (staging / name).write_bytes(data)


def _load_manifest(path: Path, settings: dict) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"settings": settings, "shards": {}}
    if manifest.get("settings") != settings:  # other shard bounds: no shard can be reused
        return {"settings": settings, "shards": {}}
    return manifest


def _save_manifest(path: Path, manifest: dict) -> None:
    with atomic_write(path, "w") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)


def run_sharded(frame: pd.DataFrame, fn_factory: FunctionFactory, config: ExecutorConfig,
                output_dir: str | Path, *, fingerprint: str = "",
                processor: ShardProcessor | None = None) -> tuple[pd.DataFrame, ShardReport]:
    """Run the stage over ``frame`` in shards under ``output_dir`` (resuming a run that
    stopped) with ``config``'s executor; returns the output in the input's order, and what
    was done. ``fingerprint`` names the stage and its settings: change it and every shard is
    redone."""
    started = time.perf_counter()
    root = Path(output_dir).expanduser()
    inputs, outputs = root / "input", root / "output"
    inputs.mkdir(parents=True, exist_ok=True)
    outputs.mkdir(parents=True, exist_ok=True)
    size = shard_size(config)
    manifest_path = root / MANIFEST
    manifest = _load_manifest(manifest_path, {"shard_rows": size,
                                              "batch_size": config.batch_size})
    report = ShardReport(rows=len(frame))
    pending: list[tuple[str, str]] = []
    names = []
    for number, start in enumerate(range(0, max(len(frame), 1), size)):
        name = f"shard-{number:05d}"
        names.append(name)
        files = batch_files(numbered(frame.iloc[start:start + size], config.batch_size, start),
                            config.batch_size)
        digest = hashlib.sha256(fingerprint.encode() + b"\0")
        for _, data in files:
            digest.update(data)
        if (outputs / name).is_dir() and manifest["shards"].get(name) == digest.hexdigest():
            report.skipped.append(name)
            continue
        write_input_shard(files, inputs / name)
        pending.append((name, digest.hexdigest()))
    _drop_stale(inputs, outputs, manifest, set(names))
    report.shards = len(names)
    process = processor or shard_processor(fn_factory, config)
    with ray_session(config) if config.is_ray and pending else nullcontext():
        for name, digest in pending:
            process(inputs / name, outputs / name)
            manifest["shards"][name] = digest
            _save_manifest(manifest_path, manifest)
            report.processed.append(name)
    result = pd.concat([pd.read_parquet(outputs / name) for name in names], ignore_index=True)
    report.seconds = time.perf_counter() - started
    return result.sort_values(ROW, kind="stable"), report


def _drop_stale(inputs: Path, outputs: Path, manifest: dict, names: set[str]) -> None:
    """Forget shards an earlier, longer input had beyond this one's."""
    for stale in [name for name in manifest["shards"] if name not in names]:
        del manifest["shards"][stale]
    for folder in (inputs, outputs):
        for path in folder.iterdir():
            if path.name not in names:
                shutil.rmtree(path, ignore_errors=True)


def shard_processor(fn_factory: FunctionFactory, config: ExecutorConfig) -> ShardProcessor:
    """How one input shard becomes its output shard with ``config``'s executor. Locally the
    stage function is built once for all the shards of a run, and the output shard is one
    Parquet file in a folder moved into place when written."""
    if config.is_ray:
        return lambda source, target: process_shard_on_ray(source, target, fn_factory, config)
    runner: list[BatchRunner] = []

    def process_locally(source: Path, target: Path) -> None:
        if not runner:
            runner.append(BatchRunner(fn_factory))
        result = runner[0](pd.read_parquet(source))
        with atomic_directory(target) as staging:
            result.to_parquet(staging / OUTPUT_FILE, index=False)

    return process_locally
