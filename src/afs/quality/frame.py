"""Quality scoring on sample tables: the library behind the quality_scoring pipeline (the
JSONL functions in ``afs.quality.streaming`` stream files; these work on frames in memory).

Each sample is judged by the profile its domain maps to (``afs.quality.config.ProfileChoice``:
the built-in domain map with the parameters' ``domain_profiles`` over it, the default
``profile`` for every other domain): scored with that profile's weights and length bounds,
filtered at that profile's ``min_score``, and ``_metadata.quality.profile`` says which one it
was."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from afs.knowledge.database import AddressDatabase
from afs.quality.config import ProfileChoice, ScoringConfig
from afs.quality.filter import FILTER_STEP, QUALITY_KEY, reject_reason
from afs.quality.scorer import QualityScorer
from afs.samples.frame import METADATA_KEY, with_rejects

def sample_profiles(frame: pd.DataFrame, quality: Mapping[str, Any]) -> np.ndarray:
    """The name of the profile that judges each row (by its domain)."""
    choice = ProfileChoice.from_parameters(quality)
    return np.array([choice.for_domain(d) for d in frame["domain"]], dtype=object)


def profile_configs(quality: Mapping[str, Any], names: Iterable[str] | None = None,
                    ) -> dict[str, ScoringConfig]:
    """ScoringConfig of each profile in ``names`` (default: every profile the parameters use:
    ``profile`` and the ``domain_profiles`` values)."""
    choice = ProfileChoice.from_parameters(quality)
    names = choice.names() if names is None else set(names)
    return {name: choice.config(name) for name in sorted(names)}


def address_database(quality: Mapping[str, Any]):
    """The knowledge base entity coverage is judged against: the built-in ALTTP table plus
    the parameters' ``address_files`` (the project's own symbol files, CSV or JSON), so that
    code naming the project's RAM is not scored as naming unknown addresses."""
    return AddressDatabase(paths=quality.get("address_files") or ())


def scorer_from_parameters(quality: Mapping[str, Any], profile: str | None = None,
                           discriminator: Any = None, db: Any = None) -> QualityScorer:
    """A QualityScorer for ``profile``, or, when None, judging each sample by its domain's
    profile (``ProfileChoice.from_parameters(quality)``), from the parameters' ``profiles``
    or the built-ins, with ``discriminator`` or else the ELECTRA model when its folder
    exists, and ``db`` (default: ``address_database(quality)``)."""
    choice = ProfileChoice.from_parameters(quality)
    model = quality.get("electra_model")
    use_model = discriminator is None and model and Path(model).is_dir()
    return QualityScorer(choice.config(profile) if profile else None, profiles=choice,
                         discriminator=discriminator, device=quality.get("device", "auto"),
                         batch_size=int(quality.get("batch_size", 32)),
                         model_path=model if use_model else None,
                         db=db if db is not None else address_database(quality))


def _metadata(text: Any) -> dict[str, Any]:
    return orjson.loads(text) if isinstance(text, str) and text else {}


def score_frame(frame: pd.DataFrame, scorer: QualityScorer) -> pd.DataFrame:
    """``frame`` with ``quality_score`` and ``_metadata.quality`` (components, weights,
    asar errors, the profile that judged the row) from ``scorer``, which judges each row by
    its ``domain`` unless it has a config."""
    domains = frame["domain"].tolist() if "domain" in frame else None
    scores = scorer.score_outputs(frame["output"].fillna("").tolist(), domains)
    scored = frame.copy()
    details = [score.to_dict() for score in scores]
    scored["quality_score"] = [d["overall"] for d in details]
    scored[METADATA_KEY] = [
        orjson.dumps({**_metadata(meta), QUALITY_KEY: detail}).decode()
        for meta, detail in zip(frame[METADATA_KEY], details, strict=True)]
    return scored


def score_frame_by_domain(frame: pd.DataFrame, quality: Mapping[str, Any]) -> pd.DataFrame:
    """Every row scored by its domain's profile (one scorer per profile used, sharing one
    discriminator), in the input's row order."""
    return score_frame(frame, scorer_from_parameters(quality))


def sample_min_scores(frame: pd.DataFrame, quality: Mapping[str, Any]) -> np.ndarray:
    """Each row's filter threshold: the ``min_score`` of its domain's profile."""
    names = sample_profiles(frame, quality)
    thresholds = {n: c.min_score for n, c in profile_configs(quality, set(names)).items()}
    return np.array([thresholds[name] for name in names], dtype=np.float64)


def common_min_score(quality: Mapping[str, Any]) -> float | None:
    """The filter threshold when every profile the parameters use has the same one, else
    None."""
    thresholds = {config.min_score for config in profile_configs(quality).values()}
    return thresholds.pop() if len(thresholds) == 1 else None


def filter_frame(frame: pd.DataFrame, min_score: float | Sequence[float],
                 reject_invalid_asm: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(kept, rejects): the same rule as ``filter_jsonl`` (invalid asm, unscored, below
    ``min_score``: one threshold, or one per row), each reject with its reason."""
    thresholds = np.broadcast_to(np.asarray(min_score, dtype=np.float64), (len(frame),))
    reasons = [reject_reason({"quality_score": score, METADATA_KEY: _metadata(meta)},
                             float(threshold), reject_invalid_asm)
               for score, meta, threshold in zip(frame["quality_score"], frame[METADATA_KEY],
                                                 thresholds, strict=True)]
    dropped = pd.Series([r is not None for r in reasons], index=frame.index)
    kept = frame[~dropped].reset_index(drop=True)
    rejects = with_rejects(frame[dropped], FILTER_STEP, [r for r in reasons if r is not None])
    return kept, rejects.reset_index(drop=True)


def filter_frame_by_domain(frame: pd.DataFrame, quality: Mapping[str, Any],
                           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``filter_frame`` with each row held to its domain's profile's ``min_score``."""
    return filter_frame(frame, sample_min_scores(frame, quality),
                        quality.get("reject_invalid_asm", True))
