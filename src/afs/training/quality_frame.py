"""Quality scoring on sample tables: the library behind the quality_scoring pipeline (the
JSONL functions in ``quality_io`` stream files; these work on frames in memory)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from afs.samples.frame import METADATA_KEY, with_rejects
from afs.training.quality_io import FILTER_STEP, QUALITY_KEY, reject_reason


def scorer_from_parameters(quality: Mapping[str, Any]):
    """A QualityScorer from the quality_scoring parameters: the named profile (from the
    parameters' ``profiles`` or the built-ins) and the ELECTRA model when its folder exists."""
    from afs.training.scoring import QualityScorer, ScoringConfig

    config = ScoringConfig.from_profile(quality.get("profile", "asm"),
                                        profiles=quality.get("profiles"))
    model = quality.get("electra_model")
    return QualityScorer(config, device=quality.get("device", "auto"),
                         batch_size=int(quality.get("batch_size", 32)),
                         model_path=model if model and Path(model).is_dir() else None)


def _metadata(text: Any) -> dict[str, Any]:
    return orjson.loads(text) if isinstance(text, str) and text else {}


def score_frame(frame: pd.DataFrame, scorer) -> pd.DataFrame:
    """``frame`` with ``quality_score`` and ``_metadata.quality`` (components, weights,
    asar errors) from ``scorer``."""
    scores = scorer.score_outputs(frame["output"].fillna("").tolist())
    scored = frame.copy()
    details = [score.to_dict() for score in scores]
    scored["quality_score"] = [d["overall"] for d in details]
    scored[METADATA_KEY] = [
        orjson.dumps({**_metadata(meta), QUALITY_KEY: detail}).decode()
        for meta, detail in zip(frame[METADATA_KEY], details, strict=True)]
    return scored


def filter_frame(frame: pd.DataFrame, min_score: float, reject_invalid_asm: bool = True,
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(kept, rejects): the same rule as ``filter_jsonl`` (invalid asm, unscored, below
    ``min_score``), each reject with its reason."""
    reasons = [reject_reason({"quality_score": score, METADATA_KEY: _metadata(meta)},
                             min_score, reject_invalid_asm)
               for score, meta in zip(frame["quality_score"], frame[METADATA_KEY], strict=True)]
    dropped = pd.Series([r is not None for r in reasons], index=frame.index)
    kept = frame[~dropped].reset_index(drop=True)
    rejects = with_rejects(frame[dropped], FILTER_STEP, [r for r in reasons if r is not None])
    return kept, rejects.reset_index(drop=True)
