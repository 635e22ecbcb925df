"""Rehearsal buffers: keep the best of an earlier model's data and mix it into new training data,
so a fine-tune on new material does not forget what the last one learned."""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from afs.curation.ratios import check_ratio
from afs.errors import AfsWarning, ConfigError
from afs.samples.collection import SampleList
from afs.samples.frame import METADATA_KEY, concat_frames, with_rejects
from afs.samples.jsonl import (
    as_frame,
    read_jsonl_frame,
    write_jsonl_frame,
    write_kept_and_rejects,
)
from afs.samples.keys import contains_ids, group_codes, normalize_instruction, normalize_text
from afs.samples.reasons import reason_code, reason_counts
from afs.samples.rejects import RejectReasons

STEP_SELECT = "rehearsal_select"
STEP_MIX = "rehearsal_mix"

log = logging.getLogger(__name__)


@dataclass
class RehearsalBufferConfig:
    """How a rehearsal buffer picks samples. See `select_rehearsal`."""

    quality_threshold: float = 0.0
    top_ratio: float = 0.3
    enable_diversity: bool = True
    max_per_domain: int | None = None
    track_provenance: bool = True
    shuffle: bool = True
    seed: int | None = 42

    def __post_init__(self) -> None:
        check_ratio("quality_threshold", self.quality_threshold)
        check_ratio("top_ratio", self.top_ratio)
        if self.max_per_domain is not None and self.max_per_domain < 0:
            raise ConfigError(f"max_per_domain must be >= 0 or None, got {self.max_per_domain}")


def add_provenance(frame: pd.DataFrame, version: str, file: str) -> pd.DataFrame:
    """Record in each sample's ``_metadata.provenance`` the version and file it came from."""
    frame = frame.copy()
    stamp = orjson.dumps({"version": version, "file": file}).decode()
    metadata = frame[METADATA_KEY]
    absent = metadata.isna()
    tagged = ~absent & metadata.str.contains('"provenance"', regex=False)
    plain = ~absent & ~tagged
    frame.loc[absent, METADATA_KEY] = '{"provenance":' + stamp + "}"
    # Text splice: cheap for millions of rows; the rare already-tagged rows are re-parsed.
    frame.loc[plain, METADATA_KEY] = metadata[plain].str[:-1] + ',"provenance":' + stamp + "}"
    frame.loc[tagged, METADATA_KEY] = [
        orjson.dumps({**orjson.loads(text), "provenance": orjson.loads(stamp)}).decode()
        for text in metadata[tagged]
    ]
    return frame


def _best_first(keys: pd.DataFrame) -> pd.DataFrame:
    return keys.sort_values(["quality_score", "sample_id"], ascending=[False, True], kind="stable")


def _near_duplicate_codes(pool: pd.DataFrame) -> np.ndarray:
    """Equal codes for samples whose instructions differ only in case, spacing or punctuation
    and whose inputs differ only in case or spacing ("Explain this routine" over different code
    is not a duplicate)."""
    text = normalize_instruction(pool["instruction"]) + "\x1f" + normalize_text(pool["input"])
    return group_codes(text)


def _diverse_order(ranked: pd.DataFrame) -> pd.DataFrame:
    """Reorder best-first rows so that any prefix keeps the (domain, source) mix, best first
    within each group: a sample's key is its quantile within its group."""
    groups = ranked.groupby(["domain", "source"], sort=False, dropna=False)
    quantile = (groups.cumcount() + 0.5) / groups["sample_id"].transform("size")
    order = np.lexsort((np.arange(len(ranked)), quantile.to_numpy()))
    return ranked.iloc[order]


def rank_rehearsal(
    pool: pd.DataFrame, config: RehearsalBufferConfig, ratio: float | None = None
) -> tuple[np.ndarray, RejectReasons]:
    """Positions of the buffer's samples in ``pool`` (best first) and why the rest were dropped.

    Works on a slim key table; see `select_rehearsal` for the rules.
    """
    ratio = check_ratio("ratio", config.top_ratio if ratio is None else ratio)
    wanted = round(ratio * len(pool))
    keys = pool[["sample_id", "quality_score", "domain", "source"]].reset_index(drop=True)
    reasons = RejectReasons(len(keys))
    duplicated = keys["sample_id"].duplicated(keep="first")
    reasons.drop(keys.index[duplicated], "duplicate_of:" + keys["sample_id"][duplicated])
    score = keys["quality_score"]
    low = ~duplicated & ~(score >= config.quality_threshold)
    reasons.drop(keys.index[low], np.where(score[low].isna(), "no_quality_score",
                                           "below_quality_threshold"))
    ranked = _best_first(keys[~duplicated & ~low])
    if config.enable_diversity:
        codes = _near_duplicate_codes(pool)[ranked.index.to_numpy()]  # in best-first order
        _, first = np.unique(codes, return_index=True)
        keeper_position = np.empty(codes.max(initial=-1) + 1, dtype=np.int64)
        keeper_position[codes[first]] = first
        repeated = np.ones(len(codes), dtype=bool)
        repeated[first] = False
        keepers = ranked["sample_id"].to_numpy(dtype=object)[keeper_position[codes[repeated]]]
        reasons.drop(ranked.index[repeated], "near_duplicate_of:" + keepers.astype(str))
        ranked = _diverse_order(ranked[~repeated])
    if config.max_per_domain is not None:
        over = ranked.groupby("domain", sort=False, dropna=False).cumcount() >= config.max_per_domain
        reasons.drop(ranked.index[over], "domain_cap")
        ranked = ranked[~over.to_numpy()]
    reasons.drop(ranked.index[wanted:], "below_top_ratio")
    if len(ranked) < wanted:  # the selection rules at work, not a problem: information
        log.info(top_ratio_shortfall(ratio, len(pool), wanted, reasons))
    return ranked.index[:wanted].to_numpy(), reasons


def top_ratio_shortfall(ratio: float, pool_size: int, wanted: int, reasons: RejectReasons) -> str:
    """Why the buffer holds fewer than ``ratio`` of the pool, with the numbers."""
    dropped = reason_counts(r for r in reasons.values if r is not None)
    why = ", ".join(f"{kind} x{n}" for kind, n in dropped.most_common())
    got = pool_size - sum(dropped.values())
    return (f"rehearsal buffer: top_ratio {ratio:g} asks for {wanted} of {pool_size} samples, "
            f"but only {got} pass the selection ({why}); the buffer holds {got}")


def select_rehearsal(
    pool: pd.DataFrame, config: RehearsalBufferConfig, ratio: float | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pick ``ratio`` (default ``config.top_ratio``) of the pool as the buffer, best first.

    Samples without a score or under ``quality_threshold`` are out; with ``enable_diversity``
    near-identical instructions keep only their best sample and the kept set follows the pool's
    domain/source mix instead of taking every top score from one domain; ``max_per_domain``
    caps each domain. Returns (selected, rejects); every pool row is in exactly one of them.
    """
    positions, reasons = rank_rehearsal(pool, config, ratio)
    return pool.iloc[positions].reset_index(drop=True), reasons.rejects(pool, STEP_SELECT)


def rehearsal_count(new_count: int, rehearsal_ratio: float) -> int:
    """Rehearsal samples so that they are ``rehearsal_ratio`` of the final mix."""
    rehearsal_ratio = check_ratio("rehearsal_ratio", rehearsal_ratio, include_high=False)
    return round(rehearsal_ratio * new_count / (1.0 - rehearsal_ratio))


def rehearsal_shortfall(new_count: int, taken: int, rehearsal_ratio: float,
                        buffer_note: str = "") -> str | None:
    """The warning for a mix whose rehearsal share falls short of ``rehearsal_ratio`` (None
    when it is met): how many buffer samples were asked for, how many came, the share got."""
    wanted = rehearsal_count(new_count, rehearsal_ratio)
    if taken >= wanted:
        return None
    total = new_count + taken
    share = taken / total if total else 0.0
    return (f"rehearsal_ratio {rehearsal_ratio:g} unmet: it asks for {wanted} buffer samples "
            f"beside {new_count} new ones, but the buffer gave {taken}{buffer_note}; rehearsal "
            f"is {taken} of {total} samples ({share:.1%}). Build a larger buffer (a higher "
            "top_ratio, a lower quality threshold, more earlier data) or lower rehearsal_ratio")


def shuffled(frame: pd.DataFrame, seed: int | None) -> pd.DataFrame:
    order = np.random.default_rng(seed).permutation(len(frame))
    return frame.iloc[order].reset_index(drop=True)


def mix_rehearsal(
    buffer: pd.DataFrame,
    new: pd.DataFrame,
    rehearsal_ratio: float,
    shuffle: bool = True,
    seed: int | None = 42,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """New data plus the buffer's first samples, so the buffer is ``rehearsal_ratio`` of the mix
    (r=0.3 with 700 new samples adds 300, fewer if the buffer is smaller: then an AfsWarning
    gives the numbers). Buffer samples already in the new data are skipped, never doubled.
    Returns (mixed, rejects)."""
    wanted = rehearsal_count(len(new), rehearsal_ratio)
    if not len(new):
        raise ConfigError("the new data is empty: there is nothing to mix the rehearsal buffer "
                          "into (check the step that made it)")
    reasons = RejectReasons(len(buffer))
    ids = buffer["sample_id"]
    in_new = contains_ids(ids, new["sample_id"])
    reasons.drop(np.flatnonzero(in_new), "duplicate_of:" + ids[in_new])
    candidates = reasons.candidates()
    reasons.drop(candidates[wanted:], "rehearsal_surplus")
    shortfall = rehearsal_shortfall(
        len(new), min(wanted, len(candidates)), rehearsal_ratio,
        f" (it holds {len(buffer)}, {int(in_new.sum())} of them already in the new data)")
    if shortfall:
        warnings.warn(shortfall, AfsWarning, stacklevel=2)
    mixed = pd.concat([new, buffer.iloc[candidates[:wanted]]], ignore_index=True)  # Arrow chunks: no copy
    if shuffle:
        mixed = shuffled(mixed, seed)
    return mixed, reasons.rejects(buffer, STEP_MIX)


class RehearsalBuffer:
    """The best samples of earlier versions' training data, ready to mix into new data."""

    def __init__(self, config: RehearsalBufferConfig | None = None):
        self.config = config or RehearsalBufferConfig()
        self._pools: list[pd.DataFrame] = []
        self._pool: pd.DataFrame | None = None
        self._versions: dict[str, int] = {}
        self._selected: pd.DataFrame | None = None
        # rejects stay positions + reasons until asked for: full rows would double the memory
        self._select_reasons: RejectReasons | None = None
        self._mix_rejects: list[pd.DataFrame] = []

    @property
    def pool(self) -> pd.DataFrame:
        if self._pool is None:
            self._pool = concat_frames(self._pools)
        return self._pool

    @property
    def rejects(self) -> pd.DataFrame:
        """Every sample the buffer dropped, with ``reject_step`` and ``reject_reason``."""
        parts = list(self._mix_rejects)
        if self._select_reasons is not None:
            parts.insert(0, self._select_reasons.rejects(self.pool, STEP_SELECT))
        return concat_frames(parts) if parts else with_rejects(self.pool.iloc[:0], STEP_SELECT, "")

    def load_frame(self, frame: pd.DataFrame, version: str, file: str = "") -> int:
        if self.config.track_provenance:
            frame = add_provenance(frame, version, file)
        self._pools.append(frame)
        self._pool = None
        self._versions[version] = self._versions.get(version, 0) + len(frame)
        self._selected = None
        return len(frame)

    def load_from_jsonl(self, path: str | Path, version: str | None = None, **read_options: Any) -> int:
        """Add a version's training data (call once per version); returns the samples read."""
        path = Path(path).expanduser()
        frame, _ = read_jsonl_frame(path, **read_options)
        return self.load_frame(frame, version or path.stem, str(path))

    def select_top_samples(self, ratio: float | None = None) -> SampleList:
        positions, self._select_reasons = rank_rehearsal(self.pool, self.config, ratio)
        self._selected = self.pool.iloc[positions].reset_index(drop=True)
        self._mix_rejects = []
        return SampleList(self._selected)

    def _buffer(self) -> pd.DataFrame:
        if self._selected is None:
            self.select_top_samples()
        return self._selected

    @property
    def samples(self) -> SampleList:
        return SampleList(self._buffer())

    def merge_with_new_data(
        self,
        new_samples: Any,
        rehearsal_ratio: float = 0.3,
        shuffle: bool | None = None,
        seed: int | None = None,
    ) -> SampleList:
        """Mix the buffer into ``new_samples`` (a SampleList, list of samples, or frame)."""
        mixed, rejects = mix_rehearsal(
            self._buffer(),
            as_frame(new_samples),
            rehearsal_ratio,
            shuffle=self.config.shuffle if shuffle is None else shuffle,
            seed=self.config.seed if seed is None else seed,
        )
        self._mix_rejects.append(rejects)
        return SampleList(mixed)

    def save(self, path: str | Path, progress: bool = False) -> Path:
        return write_jsonl_frame(self._buffer(), Path(path).expanduser(), progress=progress)

    def save_with_rejects(self, path: str | Path, rejects_path: str | Path,
                          progress: bool = False) -> Path | None:
        """``save`` and ``save_rejects`` as one unit: a kill leaves both files old or both
        new (no rejects: an old rejects file is removed). Returns the rejects file or None."""
        return write_kept_and_rejects(self._buffer(), path, self.rejects, rejects_path,
                                      progress=progress)

    def save_rejects(self, path: str | Path) -> Path | None:
        rejects = self.rejects
        if not len(rejects):
            return None
        return write_jsonl_frame(rejects, Path(path).expanduser())

    def stats(self) -> dict[str, Any]:
        buffer = self._buffer()
        reasons = [reason_code(r) for r in self._select_reasons.values if r is not None]
        for rejects in self._mix_rejects:
            reasons += [reason_code(r) for r in rejects["reject_reason"]]
        return {
            "loaded": sum(self._versions.values()),
            "loaded_by_version": dict(self._versions),
            "selected": len(buffer),
            "selected_by_domain": buffer["domain"].value_counts().to_dict(),
            "selected_by_source": buffer["source"].value_counts().to_dict(),
            "mean_quality": float(buffer["quality_score"].mean()) if len(buffer) else None,
            "rejected": len(reasons),
            "rejected_by_reason": dict(Counter(reasons).most_common()),
        }
