"""The unit both executors run: a stage function built once per worker, applied to the
seam's batches. Batches are cut from the input's row numbers (rows ``k * batch_size`` up to
``(k + 1) * batch_size``), never from how a backend happens to split the data, so a stage
whose result depends on its batch mates (ELECTRA pads each batch to its own longest text)
gives the same numbers in-process and on Ray."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from afs.errors import ConfigError

ROW = "__afs_row"      # the input's row number, carried through the stage
BATCH = "__afs_batch"  # ROW // batch_size: the batch a row belongs to
SEAM_COLUMNS = (ROW, BATCH)

BatchFunction = Callable[[pd.DataFrame], pd.DataFrame]
FunctionFactory = Callable[[], BatchFunction]


def numbered(frame: pd.DataFrame, batch_size: int, start: int = 0) -> pd.DataFrame:
    """``frame`` with its row numbers (from ``start``) and batch numbers as columns, and a
    plain index (the backends keep columns, not indexes)."""
    if ROW in frame.columns or BATCH in frame.columns:
        raise ConfigError(f"the input has a column named {ROW} or {BATCH}; rename it")
    rows = np.arange(start, start + len(frame), dtype=np.int64)
    out = frame.reset_index(drop=True)
    return out.assign(**{ROW: rows, BATCH: rows // batch_size})


class BatchRunner:
    """Builds the stage function once (``fn_factory()``: loads the model, opens the
    database) and applies it to each seam batch of a numbered frame, one row out per row in.
    Ray makes one per actor; the local executor makes one per run."""

    def __init__(self, fn_factory: FunctionFactory, batch_size: int | None = None):
        self.fn = fn_factory()
        self.batch_size = batch_size  # given: check that each batch starts where it should

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        parts = [self._run_batch(batch) for _, batch in frame.groupby(BATCH, sort=True)]
        if not parts:
            return frame
        return pd.concat(parts, ignore_index=True)

    def _run_batch(self, batch: pd.DataFrame) -> pd.DataFrame:
        rows = batch[ROW].to_numpy()
        number = int(batch[BATCH].iloc[0])
        if self.batch_size and int(rows[0]) != number * self.batch_size:
            # a backend split a batch: its parts would give other numbers than one whole batch
            raise RuntimeError(f"batch {number} reached a worker without its first row")
        inputs = batch.drop(columns=list(SEAM_COLUMNS))
        inputs.index = pd.RangeIndex(len(inputs)) if not len(inputs) else pd.Index(rows)
        result = self.fn(inputs)
        if not isinstance(result, pd.DataFrame) or len(result) != len(batch):
            got = len(result) if isinstance(result, pd.DataFrame) else type(result).__name__
            raise ConfigError(f"a stage function must return one row per input row: "
                              f"{len(batch)} rows in, {got} out")
        return result.reset_index(drop=True).assign(**{ROW: rows, BATCH: batch[BATCH].to_numpy()})


def restore(result: pd.DataFrame, original: pd.DataFrame) -> pd.DataFrame:
    """The stage's output in the input's row order and index, without the seam's columns."""
    ordered = result.sort_values(ROW, kind="stable").drop(columns=list(SEAM_COLUMNS))
    ordered.index = original.index
    return ordered
