"""Leak-proof, stratified train/val/test splits."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from afs.atomic_dir import atomic_file_set
from afs.curation.choices import NO_STRATIFY
from afs.curation.ratios import check_ratio, controlled_rounding
from afs.errors import ConfigError
from afs.samples.collection import SampleList
from afs.samples.jsonl import as_frame, read_jsonl_frame, write_jsonl_frame
from afs.samples.keys import connected_labels, group_codes, hash_texts, leak_keys

SPLIT_NAMES = ("train", "val", "test")


def split_ratios(train_ratio: float, val_ratio: float, test_ratio: float | None) -> np.ndarray:
    """The three ratios; ``test_ratio`` defaults to what train and val leave."""
    if test_ratio is None:
        test_ratio = max(0.0, 1.0 - float(train_ratio) - float(val_ratio))
    ratios = np.array([check_ratio(f"{name}_ratio", value) for name, value in
                       zip(SPLIT_NAMES, (train_ratio, val_ratio, test_ratio), strict=True)])
    if abs(ratios.sum() - 1.0) > 1e-6:
        raise ConfigError(f"train/val/test ratios must sum to 1, got {ratios.sum():g} "
                          f"({train_ratio:g} + {val_ratio:g} + {test_ratio:g})")
    return ratios


def _strata(frame: pd.DataFrame, stratify_by: str | None) -> pd.Series:
    if stratify_by in NO_STRATIFY:
        return pd.Series("", index=frame.index, dtype="str")
    if stratify_by not in frame.columns:
        raise ConfigError(f"stratify_by={stratify_by!r} is not a sample field; use domain, "
                          "source or none")
    return frame[stratify_by].astype("str").fillna("")


def _group_keys(frame: pd.DataFrame, group_column: str | None) -> np.ndarray:
    """A group number per row: rows with the same normalized text, or (``group_column``) the
    same non-missing value there, are joined, transitively."""
    text_codes = group_codes(leak_keys(frame))
    if not group_column:
        return text_codes
    if group_column not in frame.columns:
        raise ConfigError(f"group_column={group_column!r} is not a column of the samples")
    values = frame[group_column]
    present = values.notna().to_numpy() & (values.astype("str") != "").to_numpy()
    if not present.any():
        return text_codes
    offset = int(text_codes.max()) + 1
    value_codes = group_codes(values[present].astype("str")) + offset
    # nodes: text groups 0..offset-1, then the group_column values; edges: row -> both
    labels = connected_labels(int(value_codes.max()) + 1, text_codes[present], value_codes)
    return labels[text_codes]


def _leak_groups(frame: pd.DataFrame, stratify_by: str | None, group_column: str | None,
                 seed: int | None) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per leak group (its size, stratum and a seeded rank that does not depend on the
    input order), and each row's group number."""
    stratum_codes, stratum_names = pd.factorize(_strata(frame, stratify_by))
    rows = pd.DataFrame({
        "key": _group_keys(frame, group_column),
        "stratum": stratum_codes,
        "seeded": hash_texts(frame["sample_id"], seed=seed).to_numpy(),
    })
    groups = rows.groupby("key", sort=False).agg(
        size=("key", "size"), stratum=("stratum", "first"), rank=("seeded", "min"))
    groups["stratum"] = np.asarray(stratum_names, dtype=object)[groups["stratum"].to_numpy()]
    return groups, rows["key"].to_numpy()


def _assign_groups(groups: pd.DataFrame, ratios: np.ndarray) -> pd.Series:
    """Split index per group: each stratum fills train, then val, then test in rank order, with
    counts from controlled rounding (per-stratum and overall shares both within a sample)."""
    sizes = groups.groupby("stratum", sort=True)["size"].sum()
    counts = controlled_rounding(sizes.to_numpy(), ratios)
    bounds = pd.DataFrame(np.cumsum(counts, axis=1), index=sizes.index)
    ordered = groups.sort_values(["stratum", "rank"], kind="stable")
    start = ordered.groupby("stratum", sort=False)["size"].cumsum() - ordered["size"]
    first_bound = bounds.loc[ordered["stratum"], 0].to_numpy()
    second_bound = bounds.loc[ordered["stratum"], 1].to_numpy()
    split = np.where(start < first_bound, 0, np.where(start < second_bound, 1, 2))
    return pd.Series(split, index=ordered.index)


def split_frame(
    frame: pd.DataFrame,
    train_ratio: float = 0.8,
    val_ratio: float = 0.1,
    test_ratio: float | None = None,
    stratify_by: str | None = "domain",
    seed: int | None = 42,
    group_column: str | None = None,
) -> dict[str, pd.DataFrame]:
    """Split a frame three ways. Samples with the same normalized instruction + output (or the
    same ``group_column`` value, e.g. a near-duplicate cluster) always share a split."""
    ratios = split_ratios(train_ratio, val_ratio, test_ratio)
    if not len(frame):
        return {name: frame.copy() for name in SPLIT_NAMES}
    groups, row_keys = _leak_groups(frame, stratify_by, group_column, seed)
    group_split = _assign_groups(groups, ratios)
    row_split = group_split.reindex(row_keys).to_numpy()
    row_rank = groups["rank"].reindex(row_keys).to_numpy()
    order = np.lexsort((np.arange(len(frame)), row_rank))
    return {name: frame.iloc[order[row_split[order] == index]].reset_index(drop=True)
            for index, name in enumerate(SPLIT_NAMES)}


def split_dataset(
    input_path_or_samples: Any = None,
    train_ratio: float = 0.8,
    val_ratio: float = 0.1,
    test_ratio: float | None = None,
    stratify_by: str | None = "domain",
    seed: int | None = 42,
    *,
    input_path: str | Path | None = None,
    group_column: str | None = None,
    progress: bool = False,
) -> dict[str, SampleList]:
    """Split a JSONL file or a collection of samples into ``{"train", "val", "test"}``."""
    source = input_path if input_path is not None else input_path_or_samples
    if source is None:
        raise ConfigError("split_dataset needs input_path or samples")
    if isinstance(source, (str, os.PathLike)):
        frame, _ = read_jsonl_frame(source, progress=progress)
    else:
        frame = as_frame(source)
    parts = split_frame(frame, train_ratio, val_ratio, test_ratio, stratify_by, seed, group_column)
    return {name: SampleList(part) for name, part in parts.items()}


def write_splits(splits: dict[str, Any], output_dir: str | Path, progress: bool = False) -> dict[str, Path]:
    """Write each split as ``<output_dir>/<name>.jsonl``, all as one unit: a run killed while
    overwriting old splits leaves the old set or the new one, never new train beside old test
    (the folder's other files stay)."""
    output_dir = Path(output_dir).expanduser()
    files = {name: f"{name}.jsonl" for name in splits}
    with atomic_file_set(output_dir, files.values()) as staged:
        for name, samples in splits.items():
            write_jsonl_frame(as_frame(samples), staged[files[name]], progress=progress)
    return {name: output_dir / file for name, file in files.items()}
