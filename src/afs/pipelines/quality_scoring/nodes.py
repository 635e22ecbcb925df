"""Nodes of the quality_scoring pipeline: thin calls into afs.quality (scoring, filter) and
afs.dedup (dedup, decontamination)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from afs.dedup.clusters import deduplicate
from afs.dedup.config import DECONTAMINATION_STEP, DEDUP_STEP, REFERENCE_STEP, DedupConfig
from afs.dedup.reference import decontaminate, dedup_against_reference
from afs.errors import ConfigError
from afs.quality.filter import FILTER_STEP, QUALITY_KEY
from afs.quality.frame import common_min_score, filter_frame_by_domain
from afs.quality.stages import score_frame_on
from afs.reports.quality import quality_report_html
from afs.samples.frame import concat_frames, metadata_values, with_rejects
from afs.samples.rejects import reject_counts
from afs.tracking import flatten_numbers, metric_history

Frames = tuple[pd.DataFrame, pd.DataFrame]
STEPS = (DEDUP_STEP, REFERENCE_STEP, DECONTAMINATION_STEP, FILTER_STEP)  # in pipeline order


def score_samples(raw_samples: pd.DataFrame, quality: dict[str, Any]) -> pd.DataFrame:
    """Every raw sample with its composite quality score, judged by the profile its domain
    maps to (``domain_profiles``; ``profile`` for the others), on the parameters'
    ``executor`` (local in-process batches, or a Ray cluster)."""
    return score_frame_on(raw_samples, quality, quality.get("executor"))


def _dedup_config(quality: dict[str, Any]) -> DedupConfig:
    dedup = quality.get("dedup") or {}
    return DedupConfig(**{k: v for k, v in dedup.items() if k in DedupConfig.__dataclass_fields__})


def deduplicate_samples(scored: pd.DataFrame, quality: dict[str, Any]) -> Frames:
    """Exact and near duplicates dropped, the best-scored member of each cluster kept."""
    result = deduplicate(scored, _dedup_config(quality), executor=quality.get("executor"))
    return result.kept, result.rejects


def drop_seen_samples(samples: pd.DataFrame, reference: pd.DataFrame,
                      quality: dict[str, Any]) -> Frames:
    """Samples the last model's data already holds are dropped (a re-run learns nothing
    twice)."""
    if not quality.get("reference_dedup", True):
        return samples, samples.iloc[:0]
    return dedup_against_reference(samples, reference, _dedup_config(quality),
                                   executor=quality.get("executor"))


def decontaminate_samples(samples: pd.DataFrame, eval_suite: pd.DataFrame,
                          quality: dict[str, Any]) -> Frames:
    """Samples sharing a run of ``dedup.ngram_size`` tokens with an eval item are dropped
    (``contaminated:<eval sample id>``): a model must not train on its own test. Off with
    ``decontaminate: false``; on, an empty eval suite is an error (it would check nothing)."""
    if not quality.get("decontaminate", True):
        return samples, with_rejects(samples.iloc[:0], DECONTAMINATION_STEP, [])
    if not len(eval_suite):
        raise ConfigError("the eval suite (catalog entry eval_suite) holds no items, so "
                          "decontamination would check nothing; add items or set "
                          "quality_scoring.decontaminate: false")
    return decontaminate(samples, eval_suite, _dedup_config(quality).ngram_size,
                         executor=quality.get("executor"))


def filter_samples(samples: pd.DataFrame, quality: dict[str, Any]) -> Frames:
    """Samples below their profile's min_score, unscored, or with invalid asm are dropped."""
    return filter_frame_by_domain(samples, quality)


def publish_kept_and_rejects(passed: pd.DataFrame, *step_rejects: pd.DataFrame) -> Frames:
    """The samples that passed every step, and every dropped sample with its step and reason:
    one node's outputs, so the catalog commits the two files as one unit."""
    return passed, concat_frames(step_rejects)


def report_quality(raw: pd.DataFrame, scored: pd.DataFrame, filtered: pd.DataFrame,
                   *step_rejects: pd.DataFrame) -> dict[str, Any]:
    """Counts in and out, per step and reason, scores by domain; everything accounted for."""
    rejects = concat_frames(step_rejects)
    return {
        "input": len(raw),
        "kept": len(filtered),
        "rejected": len(rejects),
        "all_rows_accounted_for": len(raw) == len(filtered) + len(rejects),
        # total, every step in pipeline order (0 where it dropped nothing), reason codes
        "rejects": reject_counts(rejects, STEPS),
        "mean_score": _mean(scored["quality_score"]),
        "mean_score_by_domain": {domain: _mean(group["quality_score"]) for domain, group
                                 in sorted(scored.groupby("domain"), key=lambda g: g[0])},
        "kept_by_domain": dict(sorted(Counter(filtered["domain"]).items())),
        "profile_by_domain": _profile_by_domain(scored),
    }


def _profile_by_domain(scored: pd.DataFrame) -> dict[str, str]:
    """Domain -> the scoring profile that judged its samples (read from their scores)."""
    profiles = [quality.get("profile") if isinstance(quality, dict) else None
                for quality in metadata_values(scored, QUALITY_KEY)]
    pairs = {str(d): p for d, p in zip(scored["domain"], profiles, strict=True) if p}
    return dict(sorted(pairs.items()))


def write_quality_html(scored: pd.DataFrame, filtered: pd.DataFrame, report: dict[str, Any],
                       quality: dict[str, Any], *step_rejects: pd.DataFrame) -> str:
    """The HTML report (summary tables and embedded PNG plots) of this run."""
    return quality_report_html(report, scored, filtered, concat_frames(step_rejects),
                               min_score=common_min_score(quality))


def _mean(values: pd.Series) -> float | None:
    mean = pd.to_numeric(values, errors="coerce").mean()
    return None if pd.isna(mean) else round(float(mean), 4)


def quality_metrics(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The report's numbers as MLflow metrics (MlflowMetricsHistoryDataset adds `quality.`)."""
    flat = {"input": report["input"], "kept": report["kept"], "rejected": report["rejected"],
            **flatten_numbers({"rejects": report["rejects"]}),
            **{f"kept.{k}": v for k, v in report["kept_by_domain"].items()}}
    if report["mean_score"] is not None:
        flat["mean_score"] = report["mean_score"]
    return metric_history(flat)
