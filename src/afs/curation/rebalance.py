"""Rebalance a dataset across its sources (files), domains or sources by weight: filter, plan
the counts (``afs.curation.plan``: a scarce group gives what it has and caps no other), pick."""

from __future__ import annotations

import logging
import warnings
import zlib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from afs.curation.choices import GROUP_BY_CHOICES, SCARCE_BELOW
from afs.curation.plan import (  # EmptyRebalanceError: callers catch it from here too
    EmptyRebalanceError,
    RebalancePlan,
    plan_rebalance,
)
from afs.errors import AfsWarning, ConfigError
from afs.samples.collection import SampleList
from afs.samples.frame import concat_frames, metadata_values
from afs.samples.jsonl import read_jsonl_frame, write_jsonl_frame
from afs.samples.keys import contains_ids
from afs.samples.model import ORIGIN_KEY
from afs.samples.rejects import RejectReasons

STEP = "rebalance"
GROUP_COLUMN = "_group"
SAMPLE_GROUP_COLUMNS = ("domain", "source")  # the columns a sample can be grouped by
UNKNOWN_GROUP = "unknown"  # the group of a sample without the metadata it is grouped by

log = logging.getLogger(__name__)


def _check_weights(weights: dict[str, float], groups: Iterable[str],
                   absent_is_error: bool) -> dict[str, float]:
    if not weights:
        raise ConfigError("weights is empty: give at least one group a weight")
    if absent_is_error:
        check_weights_name_groups(weights, groups)
    bad = {k: w for k, w in weights.items() if not isinstance(w, (int, float)) or w < 0}
    if bad:
        raise ConfigError(f"weights must be numbers >= 0, got {bad}")
    if sum(weights.values()) <= 0:
        raise ConfigError("weights sum to 0: give at least one group a positive weight")
    return {k: float(w) for k, w in weights.items()}


def check_weights_name_groups(weights: Iterable[str], groups: Iterable[str]) -> None:
    """ConfigError for a weight that names no group of the input (a typo, as a rule)."""
    known = sorted(set(groups))
    unknown = sorted(set(weights) - set(known))
    if unknown:
        raise ConfigError(f"weight {', '.join(map(repr, unknown))} names no group in the input; "
                          f"groups are: {', '.join(known) or '(none)'}")


def _drop_unweighted(groups: pd.Series, weights: dict[str, float], reasons: RejectReasons) -> None:
    weighted = contains_ids(groups, pd.Series([g for g, w in weights.items() if w > 0], dtype="str"))
    dropped = groups[~weighted]
    named = contains_ids(dropped, pd.Series(list(weights), dtype="str"))
    reasons.drop(np.flatnonzero(~weighted), np.where(named, "zero_weight:", "no_weight:") + dropped)
    unweighted = sorted(set(dropped.unique()) - set(weights))
    if unweighted:
        warnings.warn(f"rebalance: no weight for group(s) {', '.join(unweighted)}; their "
                      f"{len(dropped)} samples are dropped (no_weight)", AfsWarning, stacklevel=3)


def _drop_low_quality(score: np.ndarray, min_quality_score: float | None,
                      reasons: RejectReasons) -> None:
    if min_quality_score is None:
        return
    candidates = reasons.candidates()
    low = candidates[~(score[candidates] >= min_quality_score)]
    reasons.drop(low, np.where(np.isnan(score[low]), "no_quality_score", "low_quality"))


FILTER_REASONS = {"no_quality_score": "without a quality_score",
                  "low_quality": "below min_quality_score"}


def describe_group(name: str, groups: pd.Series, reasons: RejectReasons,
                   min_quality_score: float | None) -> str:
    """``has 0 of its 120 samples left (120 without a quality_score; min_quality_score 0.5)``:
    what the filters left of group ``name``, and why."""
    members = reasons.values[(groups == name).to_numpy()]
    if not len(members):
        known = ", ".join(sorted(groups.unique())) or "(none)"
        return f"has no sample in the input (groups are: {known})"
    dropped = Counter(str(r) for r in members if r is not None and str(r) in FILTER_REASONS)
    left = int(pd.isna(members).sum())
    text = f"has {left} of its {len(members)} samples left"
    if dropped:
        why = ", ".join(f"{n} {FILTER_REASONS[r]}" for r, n in dropped.most_common())
        text += f" ({why}; min_quality_score {min_quality_score:g})"
    return text


class Rebalanced(NamedTuple):
    """What ``rebalance_frame`` returns: the rows kept, the rows rejected with their reason, and
    the plan (weights asked and got, samples available and taken per group, scarce groups)."""

    kept: pd.DataFrame
    rejects: pd.DataFrame
    plan: RebalancePlan


def _group_rng(seed: int | None, name: str) -> np.random.Generator:
    """One generator per group: adding a group does not change what the others pick."""
    return np.random.default_rng([seed or 0, zlib.crc32(name.encode())])


def _pick(size: int, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Positions taken (repeats only when count > size) and positions left out, of ``size``."""
    order = rng.permutation(size)
    if count <= size:
        return np.sort(order[:count]), np.sort(order[count:])
    extra = rng.choice(size, size=count - size, replace=True)
    return np.sort(np.concatenate([order, extra])), np.array([], dtype=np.int64)


def rebalance_frame(
    frame: pd.DataFrame,
    group_column: str,
    weights: dict[str, float],
    min_quality_score: float | None = None,
    total: int | None = None,
    allow_oversample: bool = False,
    shuffle: bool = True,
    seed: int | None = 42,
    scarce_below: float = SCARCE_BELOW,
) -> Rebalanced:
    """Sample each group of ``frame[group_column]`` so the groups follow ``weights``.

    A group holding fewer than ``scarce_below`` of its weight's share gives all it has (or is
    repeated up to its share with ``allow_oversample``) and does not cap the others; the other
    groups follow the weights exactly, as many as they allow without a repeat (or ``total`` in
    all). ``scarce_below=0``: the strict mix, sized by the scarcest group, where a weight naming
    no group or a group the filters emptied is an error.

    Returns (kept, rejects, plan); each input row is kept once, or rejected with a reason
    (``low_quality``, ``no_weight:<g>``, ``rebalance_cap:<g>``), unless oversampling repeats
    it. A scarce group and a group that caps the others are logged as information with the
    numbers (``plan.notes``: the weights at work); a weighted group without a sample gets an
    AfsWarning (``plan.warnings``); an empty result is an EmptyRebalanceError naming the groups
    that emptied and why.
    """
    groups = frame[group_column].astype("str").reset_index(drop=True)
    weights = _check_weights(weights, groups.unique(), absent_is_error=scarce_below == 0)
    reasons = RejectReasons(len(frame))
    _drop_unweighted(groups, weights, reasons)
    _drop_low_quality(frame["quality_score"].to_numpy(dtype=float), min_quality_score, reasons)
    eligible = reasons.candidates()
    eligible_groups = groups.iloc[eligible].to_numpy(dtype=object)
    positive = {g: w for g, w in weights.items() if w > 0}

    def describe(name: str) -> str:
        return describe_group(name, groups, reasons, min_quality_score)

    plan = plan_rebalance(pd.Series(eligible_groups).value_counts().to_dict(), positive, total,
                          allow_oversample, scarce_below, describe)
    for note in plan.notes:
        log.info(note)
    for warning in plan.warnings:
        warnings.warn(warning, AfsWarning, stacklevel=2)
    kept = []
    for name in sorted(positive):
        members = eligible[eligible_groups == name]
        taken, left = _pick(len(members), plan.taken[name], _group_rng(seed, name))
        kept.append(members[taken])
        reasons.drop(members[left], f"rebalance_cap:{name}")
    order = np.concatenate(kept) if kept else np.array([], dtype=np.int64)
    if shuffle:
        order = order[np.random.default_rng(seed).permutation(len(order))]
    return Rebalanced(frame.iloc[order].reset_index(drop=True), reasons.rejects(frame, STEP), plan)


def sample_groups(frame: pd.DataFrame, group_by: str) -> pd.Series:
    """The group of each row: its data_generation source (``origin``, read from
    ``_metadata.origin``; ``unknown`` where absent) or the value of a column (``domain``,
    ``source``)."""
    if group_by == ORIGIN_KEY:
        return metadata_values(frame, ORIGIN_KEY).fillna(UNKNOWN_GROUP).astype("str")
    if group_by not in SAMPLE_GROUP_COLUMNS:
        raise ConfigError(f"group_by must be one of {(ORIGIN_KEY, *SAMPLE_GROUP_COLUMNS)} for a "
                          f"table of samples, got {group_by!r}")
    return frame[group_by].astype("str")


def _read_grouped(inputs: Iterable[str | Path], group_by: str, progress: bool) -> pd.DataFrame:
    if group_by not in GROUP_BY_CHOICES:
        raise ConfigError(f"group_by must be one of {GROUP_BY_CHOICES}, got {group_by!r}")
    frames, stems = [], {}
    for path in (Path(p).expanduser() for p in inputs):
        if group_by == "file" and path.stem in stems:
            raise ConfigError(f"two inputs share the name '{path.stem}' ({stems[path.stem]} and "
                              f"{path}); weights are keyed by file name, so rename one")
        stems[path.stem] = path
        frame, _ = read_jsonl_frame(path, progress=progress)
        frame[GROUP_COLUMN] = path.stem if group_by == "file" else sample_groups(frame, group_by)
        frames.append(frame)
    if not frames:
        raise ConfigError("no inputs given")
    return concat_frames(frames)


def rebalance_datasets(
    inputs: Iterable[str | Path],
    weights: dict[str, float],
    min_quality_score: float | None = None,
    shuffle: bool = True,
    seed: int | None = 42,
    group_by: str = "file",
    total: int | None = None,
    allow_oversample: bool = False,
    rejects_path: str | Path | None = None,
    progress: bool = False,
    scarce_below: float = SCARCE_BELOW,
) -> SampleList:
    """Mix JSONL files by weight. Weights are keyed by file stem (``oracle.jsonl`` -> ``oracle``;
    one naming no input is an error), or with ``group_by`` by generation source (``origin``, as
    data_generation stamps it), domain or source.

    A group too small for its weight (fewer than ``scarce_below`` of its share) gives all its
    samples and does not cap the others, which follow the weights exactly; ``total`` defaults
    to the largest such mix without repeats. ``allow_oversample`` repeats a scarce group up to
    its share, and lets a larger total repeat samples; ``scarce_below=0`` is the strict mix,
    sized by the scarcest group. The result's ``report`` is the RebalancePlan: weights asked
    and got (``effective_weights()``), samples available and taken per group."""
    frame = _read_grouped(inputs, group_by, progress)
    if group_by == "file":  # every file is a group, so a weight naming none is a typo
        check_weights_name_groups(weights, frame[GROUP_COLUMN].unique())
    kept, rejects, plan = rebalance_frame(frame, GROUP_COLUMN, weights, min_quality_score, total,
                                          allow_oversample, shuffle, seed, scarce_below)
    if rejects_path is not None and len(rejects):
        write_jsonl_frame(rejects, rejects_path)
    return SampleList(kept.drop(columns=[GROUP_COLUMN]), report=plan,
                      rejects=rejects.drop(columns=[GROUP_COLUMN], errors="ignore"))
