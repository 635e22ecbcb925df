"""Nodes of the quality_scoring pipeline: thin calls into afs.training (scoring, dedup,
filter)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from afs.samples.frame import REJECT_REASON, REJECT_STEP, concat_frames
from afs.training.dedup import DedupConfig, dedup_against_reference, deduplicate
from afs.training.quality_frame import filter_frame, score_frame, scorer_from_parameters

Frames = tuple[pd.DataFrame, pd.DataFrame]


def score_samples(raw_samples: pd.DataFrame, quality: dict[str, Any]) -> pd.DataFrame:
    """Every raw sample with its composite quality score."""
    return score_frame(raw_samples, scorer_from_parameters(quality))


def _dedup_config(quality: dict[str, Any]) -> DedupConfig:
    dedup = quality.get("dedup") or {}
    return DedupConfig(**{k: v for k, v in dedup.items() if k in DedupConfig.__dataclass_fields__})


def deduplicate_samples(scored: pd.DataFrame, quality: dict[str, Any]) -> Frames:
    """Exact and near duplicates dropped, the best-scored member of each cluster kept."""
    result = deduplicate(scored, _dedup_config(quality))
    return result.kept, result.rejects


def drop_seen_samples(samples: pd.DataFrame, reference: pd.DataFrame,
                      quality: dict[str, Any]) -> Frames:
    """Samples the last model's data already holds are dropped (a re-run learns nothing
    twice)."""
    if not quality.get("reference_dedup", True):
        return samples, samples.iloc[:0]
    return dedup_against_reference(samples, reference, _dedup_config(quality))


def _min_score(quality: dict[str, Any]) -> float:
    from afs.training.scoring import ScoringConfig

    return ScoringConfig.from_profile(quality.get("profile", "asm"),
                                      profiles=quality.get("profiles")).min_score


def filter_samples(samples: pd.DataFrame, quality: dict[str, Any]) -> Frames:
    """Samples below the profile's min_score, unscored, or with invalid asm are dropped."""
    return filter_frame(samples, _min_score(quality), quality.get("reject_invalid_asm", True))


def collect_rejects(*step_rejects: pd.DataFrame) -> pd.DataFrame:
    """Every dropped sample, each with the step and the reason."""
    return concat_frames(step_rejects)


def report_quality(raw: pd.DataFrame, scored: pd.DataFrame, filtered: pd.DataFrame,
                   *step_rejects: pd.DataFrame) -> dict[str, Any]:
    """Counts in and out, per step and reason, scores by domain; everything accounted for."""
    rejects = concat_frames(step_rejects)
    reasons = Counter(str(r).split(":", 1)[0] for r in rejects.get(REJECT_REASON, []))
    return {
        "input": len(raw),
        "kept": len(filtered),
        "rejected": len(rejects),
        "all_rows_accounted_for": len(raw) == len(filtered) + len(rejects),
        "rejects_by_step": dict(sorted(Counter(rejects.get(REJECT_STEP, [])).items())),
        "rejects_by_reason": dict(sorted(reasons.items())),
        "mean_score": _mean(scored["quality_score"]),
        "mean_score_by_domain": {domain: _mean(group["quality_score"]) for domain, group
                                 in sorted(scored.groupby("domain"), key=lambda g: g[0])},
        "kept_by_domain": dict(sorted(Counter(filtered["domain"]).items())),
    }


def write_quality_html(scored: pd.DataFrame, filtered: pd.DataFrame, report: dict[str, Any],
                       quality: dict[str, Any], *step_rejects: pd.DataFrame) -> str:
    """The HTML report (summary tables and embedded PNG plots) of this run."""
    from afs.reports.quality import quality_report_html

    return quality_report_html(report, scored, filtered, concat_frames(step_rejects),
                               min_score=_min_score(quality))


def _mean(values: pd.Series) -> float | None:
    mean = pd.to_numeric(values, errors="coerce").mean()
    return None if pd.isna(mean) else round(float(mean), 4)


def quality_metrics(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The report's numbers as MLflow metrics (MlflowMetricsHistoryDataset adds `quality.`)."""
    flat = {"input": report["input"], "kept": report["kept"], "rejected": report["rejected"],
            **{f"rejects.{k}": v for k, v in report["rejects_by_reason"].items()},
            **{f"kept.{k}": v for k, v in report["kept_by_domain"].items()}}
    if report["mean_score"] is not None:
        flat["mean_score"] = report["mean_score"]
    return {key: {"value": float(value), "step": 0} for key, value in flat.items()}
