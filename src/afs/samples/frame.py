"""The table form of a batch of samples: a pandas DataFrame with the canonical columns.

Stages pass these frames between each other (and Kedro stores them as Parquet). ``_metadata``
and ``_extra`` (unknown top-level keys) stay JSON text in the table: most stages never look
inside them, and text keeps them loss-free and cheap to carry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import orjson
import pandas as pd

from afs.samples.model import (
    CANONICAL_FIELDS,
    DEFAULT_DOMAIN,
    METADATA_KEY,
    TrainingSample,
    compute_sample_id,
)
from afs.samples.values import is_missing

EXTRA_COLUMN = "_extra"
FRAME_COLUMNS = ("sample_id", *CANONICAL_FIELDS, METADATA_KEY, EXTRA_COLUMN)
# Columns a step adds to say why it dropped a sample.
REJECT_STEP = "reject_step"
REJECT_REASON = "reject_reason"


def empty_frame() -> pd.DataFrame:
    return normalize_frame(pd.DataFrame({c: [] for c in FRAME_COLUMNS}))


def normalize_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a frame the canonical dtypes: text columns as str, quality_score as float."""
    for column in FRAME_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    text_columns = [c for c in FRAME_COLUMNS if c != "quality_score"]
    frame[text_columns] = frame[text_columns].astype("str")
    frame["quality_score"] = pd.to_numeric(frame["quality_score"], errors="raise").astype("float64")
    return frame


def add_sample_ids(frame: pd.DataFrame) -> pd.DataFrame:
    frame["sample_id"] = [
        compute_sample_id(i, n, o)
        for i, n, o in zip(frame["instruction"], frame["input"], frame["output"], strict=True)
    ]
    return frame


def _json_or_none(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode("utf-8")


def _loads_or_empty(text: Any) -> dict[str, Any]:
    # "None"/"": a missing value that went through str() on its way into the table
    return {} if is_missing(text) or text in ("None", "") else orjson.loads(text)


def metadata_values(frame: pd.DataFrame, key: str, default: Any = None) -> pd.Series:
    """``_metadata[key]`` of every row (``default`` where a row has no such key)."""
    values = [_loads_or_empty(text).get(key, default) for text in frame[METADATA_KEY]]
    return pd.Series(values, index=frame.index, dtype=object)


def with_metadata(frame: pd.DataFrame, key: str, values: Any,
                  rows: np.ndarray | None = None) -> pd.DataFrame:
    """Copy of ``frame`` with ``_metadata[key]`` set to ``values`` (one value for all, or one
    per row) in every row, or only in the positions ``rows``."""
    frame = frame.copy()
    column = frame[METADATA_KEY].to_numpy(dtype=object).copy()
    positions = range(len(frame)) if rows is None else rows.tolist()
    many = isinstance(values, (list, tuple, np.ndarray, pd.Series))
    if isinstance(values, (np.ndarray, pd.Series)):
        values = values.tolist()  # plain Python values: orjson refuses numpy scalars
    if many and len(values) != len(positions):
        raise ValueError(f"with_metadata: {len(values)} values for {len(positions)} rows")
    for index, position in enumerate(positions):
        metadata = _loads_or_empty(column[position])
        metadata[key] = values[index] if many else values
        column[position] = orjson.dumps(metadata).decode("utf-8")
    frame[METADATA_KEY] = column
    return frame


def samples_to_frame(samples: Iterable[TrainingSample]) -> pd.DataFrame:
    """Table form of samples (unknown keys and _metadata become JSON text)."""
    rows = []
    for sample in samples:
        record = sample.to_dict()
        metadata = record.pop(METADATA_KEY, None)
        extra = {k: v for k, v in record.items() if k not in FRAME_COLUMNS}
        rows.append(
            {
                **{c: record.get(c) for c in ("sample_id", *CANONICAL_FIELDS)},
                METADATA_KEY: _json_or_none(metadata),
                EXTRA_COLUMN: _json_or_none(extra) if extra else None,
            }
        )
    if not rows:
        return empty_frame()
    return normalize_frame(pd.DataFrame(rows, columns=list(FRAME_COLUMNS)))


def row_to_record(row: dict[str, Any]) -> dict[str, Any]:
    """The JSON object a frame row stands for (the same object the JSONL writer emits)."""
    record: dict[str, Any] = {}
    for column in ("sample_id", *CANONICAL_FIELDS):
        value = row.get(column)
        if not is_missing(value):
            record[column] = value
    record.update(_loads_or_empty(row.get(EXTRA_COLUMN)))
    for column, value in row.items():  # columns a step added (reject reasons, …)
        if column not in FRAME_COLUMNS and not column.startswith("_") and not is_missing(value):
            record[column] = value.item() if isinstance(value, np.generic) else value
    metadata = _loads_or_empty(row.get(METADATA_KEY))
    if metadata:
        record[METADATA_KEY] = metadata
    return record


def row_to_sample(row: dict[str, Any]) -> TrainingSample:
    record = row_to_record(row)
    record.setdefault("input", "")
    record.setdefault("domain", DEFAULT_DOMAIN)
    return TrainingSample.from_dict(record)


def frame_to_samples(frame: pd.DataFrame) -> list[TrainingSample]:
    return [row_to_sample(row) for row in frame.to_dict("records")]


def with_rejects(frame: pd.DataFrame, step: str, reasons: pd.Series | str) -> pd.DataFrame:
    """Copy of ``frame`` with the step and reason each row was dropped for."""
    rejected = frame.copy()
    rejected[REJECT_STEP] = step
    rejected[REJECT_REASON] = reasons
    return rejected


def concat_frames(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate, keeping the columns of the first frame when all are empty."""
    frames = list(frames)
    non_empty = [f for f in frames if len(f)]
    if not non_empty:
        return frames[0].iloc[:0].reset_index(drop=True) if frames else empty_frame()
    return pd.concat(non_empty, ignore_index=True)
