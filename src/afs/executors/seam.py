"""The executor seam: ``map_frame`` runs a stage over a table with the local executor or on
Ray, with the same batches and so the same results; ``map_items`` does it for a list.

A stage is a ``fn_factory``: a picklable callable that builds the batch function
(``batch DataFrame -> DataFrame``, one row out per row in) once per worker, e.g. loading a
model. Local: built once, run over the batches in this process. Ray: Parquet shards under a
work folder, each run by an actor pool (``afs.executors.ray_backend``). With an
``output_dir`` (or the config's ``work_dir``) the shards stay there and a re-run resumes.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from afs.executors.batches import BatchRunner, FunctionFactory, numbered, restore
from afs.executors.config import ExecutorConfig
from afs.executors.shards import run_sharded

ITEM = "item"


def map_frame(frame: pd.DataFrame, fn_factory: FunctionFactory,
              executor: ExecutorConfig | dict | str | None = None, *,
              output_dir: str | Path | None = None, stage: str = "stage",
              fingerprint: str = "") -> pd.DataFrame:
    """``fn_factory()``'s function over ``frame``'s batches, output in the input's order and
    index. ``executor`` is an ``ExecutorConfig``, its parameters dict, ``"local"`` or
    ``"ray"`` (None: local). ``output_dir`` (default: ``work_dir/stage`` when the config
    names a work_dir) keeps the shards so that a re-run resumes; ``fingerprint`` names what
    else decides the output (the stage's settings)."""
    config = ExecutorConfig.from_params(executor)
    if output_dir is None and config.work_dir:
        output_dir = Path(config.work_dir) / stage
    if not len(frame):  # nothing to distribute: the function says what columns it adds
        return BatchRunner(fn_factory).fn(frame)
    if output_dir is None and not config.is_ray:
        return restore(BatchRunner(fn_factory)(numbered(frame, config.batch_size)), frame)
    if output_dir is not None:
        return _run_sharded(frame, fn_factory, config, output_dir, stage + fingerprint)
    scratch = tempfile.mkdtemp(prefix=f"afs-{stage}-")
    try:
        return _run_sharded(frame, fn_factory, config, scratch, stage + fingerprint)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run_sharded(frame: pd.DataFrame, fn_factory: FunctionFactory, config: ExecutorConfig,
                 output_dir: str | Path, fingerprint: str) -> pd.DataFrame:
    result, _ = run_sharded(frame, fn_factory, config, output_dir, fingerprint=fingerprint)
    return restore(result, frame)


class ItemFunction:
    """Adapts ``item_factory()`` (a function of one list of items -> one result each) to a
    batch function over a one-column frame."""

    def __init__(self, item_factory: Callable[[], Callable[[list], list]]):
        self.item_factory = item_factory

    def __call__(self) -> Callable[[pd.DataFrame], pd.DataFrame]:
        apply = self.item_factory()

        def run(batch: pd.DataFrame) -> pd.DataFrame:
            return pd.DataFrame({ITEM: list(apply(batch[ITEM].tolist()))}, index=batch.index)

        return run


def map_items(items: Sequence[Any], item_factory: Callable[[], Callable[[list], list]],
              executor: ExecutorConfig | dict | str | None = None, **options: Any) -> list:
    """``map_frame`` for a list: ``item_factory()`` builds a function from a batch of items
    to one result each (items and results must be Parquet values: strings, numbers, lists,
    dicts of those)."""
    frame = pd.DataFrame({ITEM: list(items)})
    return map_frame(frame, ItemFunction(item_factory), executor, **options)[ITEM].tolist()
