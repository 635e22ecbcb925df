"""Rebalance a dataset across its sources (files), domains or sources by weight."""

from __future__ import annotations

import warnings
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from afs.curation.choices import GROUP_BY_CHOICES
from afs.curation.ratios import largest_remainder
from afs.errors import AfsError, AfsWarning, ConfigError
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


class EmptyRebalanceError(AfsError, ValueError):
    """Rebalancing would keep no sample; the message names the group that emptied and why."""


def _check_weights(weights: dict[str, float], groups: Iterable[str]) -> dict[str, float]:
    if not weights:
        raise ConfigError("weights is empty: give at least one group a weight")
    known = sorted(set(groups))
    unknown = sorted(set(weights) - set(known))
    if unknown:
        raise ConfigError(f"weight {', '.join(map(repr, unknown))} names no group in the input; "
                          f"groups are: {', '.join(known) or '(none)'}")
    bad = {k: w for k, w in weights.items() if not isinstance(w, (int, float)) or w < 0}
    if bad:
        raise ConfigError(f"weights must be numbers >= 0, got {bad}")
    if sum(weights.values()) <= 0:
        raise ConfigError("weights sum to 0: give at least one group a positive weight")
    return {k: float(w) for k, w in weights.items()}


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
    dropped = Counter(str(r) for r in members if r is not None and str(r) in FILTER_REASONS)
    left = int(pd.isna(members).sum())
    text = f"has {left} of its {len(members)} samples left"
    if dropped:
        why = ", ".join(f"{n} {FILTER_REASONS[r]}" for r, n in dropped.most_common())
        text += f" ({why}; min_quality_score {min_quality_score:g})"
    return text


def _limiting_groups(available: pd.Series, weights: dict[str, float]) -> list[str]:
    """The groups with the fewest samples for their weight: they set the mix's size."""
    per_weight = {n: available.get(n, 0) / w for n, w in weights.items()}
    fewest = min(per_weight.values())
    return sorted(n for n, value in per_weight.items() if value <= fewest * (1 + 1e-9))


def check_no_group_empty(available: pd.Series, weights: dict[str, float],
                         describe: Callable[[str], str]) -> None:
    """EmptyRebalanceError when a weighted group has no sample left: the mix must give it its
    share, so it would be empty. Names the group(s) and what the filters dropped."""
    empty = [n for n in sorted(weights) if available.get(n, 0) == 0]
    if empty:
        groups = "; ".join(f"group '{n}' (weight {weights[n]:g}) {describe(n)}" for n in empty)
        raise EmptyRebalanceError(
            f"rebalance keeps no sample: {groups}; every group with a weight must give its "
            "share, so the mix is empty. Lower min_quality_score, score the group's data, or "
            "drop its weight")


def warn_below_weight(targets: pd.Series, available: pd.Series, weights: dict[str, float],
                      describe: Callable[[str], str]) -> None:
    """An AfsWarning for each group whose samples fall below its weight's share of what is
    available, so that it caps the mix and the other groups lose samples (rebalance_cap)."""
    have = available.reindex(sorted(weights), fill_value=0)
    capped = int((have - targets).clip(lower=0).sum())
    if not capped:
        return
    for name in _limiting_groups(have, weights):
        fair = weights[name] / sum(weights.values()) * have.sum()
        warnings.warn(
            f"rebalance: group '{name}' falls below its weight {weights[name]:g}: "
            f"it {describe(name)}, where its share of the {have.sum()} samples "
            f"available is {fair:.0f}; so the mix holds {targets.sum()} samples and {capped} "
            "samples of the other groups are left out (rebalance_cap)",
            AfsWarning, stacklevel=3)


def group_targets(available: pd.Series, weights: dict[str, float], total: int | None,
                  allow_oversample: bool) -> pd.Series:
    """Samples to take from each group. Without ``total``, the largest mix that honours the
    weights without repeating any sample."""
    names = sorted(weights)
    share = np.array([weights[n] for n in names])
    have = available.reindex(names, fill_value=0).to_numpy()
    if total is None:
        positive = share > 0
        total = int(np.floor(np.min(have[positive] / (share[positive] / share.sum())) + 1e-9))
        while total > 0 and np.any(largest_remainder(total, share) > have):
            total -= 1  # rounding can ask one more than a group has
    counts = largest_remainder(int(total), share)
    short = [(n, c, h) for n, c, h in zip(names, counts, have) if c > h]
    if short and not allow_oversample:
        name, need, has = short[0]
        raise ConfigError(f"total {total} needs {need} samples from group '{name}', which has {has}; "
                          "lower the total or pass allow_oversample")
    return pd.Series(counts, index=names)


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
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sample each group of ``frame[group_column]`` so the groups follow ``weights``.

    Returns (kept, rejects); each input row is kept once, or rejected with a reason
    (``low_quality``, ``no_weight:<g>``, ``rebalance_cap:<g>``), unless oversampling was asked.
    An empty result is an EmptyRebalanceError naming the group that emptied and why; a group
    whose scarcity caps the others gets an AfsWarning with the numbers.
    """
    groups = frame[group_column].astype("str").reset_index(drop=True)
    weights = _check_weights(weights, groups.unique())
    reasons = RejectReasons(len(frame))
    _drop_unweighted(groups, weights, reasons)
    _drop_low_quality(frame["quality_score"].to_numpy(dtype=float), min_quality_score, reasons)
    eligible = reasons.candidates()
    eligible_groups = groups.iloc[eligible].to_numpy(dtype=object)
    positive = {g: w for g, w in weights.items() if w > 0}
    available = pd.Series(eligible_groups).value_counts()

    def describe(name: str) -> str:
        return describe_group(name, groups, reasons, min_quality_score)

    check_no_group_empty(available, positive, describe)
    targets = group_targets(available, positive, total, allow_oversample)
    if not targets.sum():
        raise EmptyRebalanceError(f"rebalance keeps no sample: total is {total}")
    if total is None:
        warn_below_weight(targets, available, positive, describe)
    kept = []
    for name in sorted(positive):
        members = eligible[eligible_groups == name]
        taken, left = _pick(len(members), int(targets[name]), _group_rng(seed, name))
        kept.append(members[taken])
        reasons.drop(members[left], f"rebalance_cap:{name}")
    order = np.concatenate(kept) if kept else np.array([], dtype=np.int64)
    if shuffle:
        order = order[np.random.default_rng(seed).permutation(len(order))]
    return frame.iloc[order].reset_index(drop=True), reasons.rejects(frame, STEP)


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
) -> SampleList:
    """Mix JSONL files by weight. Weights are keyed by file stem (``oracle.jsonl`` -> ``oracle``),
    or with ``group_by`` by generation source (``origin``, as data_generation stamps it),
    domain or source. ``total`` defaults to the largest mix reachable
    without repeating samples; ``allow_oversample`` lets a larger total repeat samples."""
    frame = _read_grouped(inputs, group_by, progress)
    kept, rejects = rebalance_frame(frame, GROUP_COLUMN, weights, min_quality_score, total,
                                    allow_oversample, shuffle, seed)
    if rejects_path is not None and len(rejects):
        write_jsonl_frame(rejects, rejects_path)
    return SampleList(kept.drop(columns=[GROUP_COLUMN]),
                      rejects=rejects.drop(columns=[GROUP_COLUMN], errors="ignore"))
