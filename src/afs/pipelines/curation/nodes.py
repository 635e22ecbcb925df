"""Curation nodes: each unpacks its catalog inputs and parameters and calls one library
function (`afs.curation` for the curation rules, `report` for the numbers)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from afs.curation.export import convert_frame
from afs.curation.rebalance import GROUP_COLUMN, rebalance_frame, sample_groups
from afs.curation.rehearsal import (
    RehearsalBufferConfig,
    add_provenance,
    mix_rehearsal,
    select_rehearsal,
)
from afs.curation.split import split_frame
from afs.dedup.config import CLUSTER_KEY
from afs.pipelines.curation import report as curation_reporting
from afs.samples.frame import concat_frames, metadata_values
from afs.samples.model import ORIGIN_KEY

CLUSTER_COLUMN = "_cluster"
Frames = tuple[pd.DataFrame, pd.DataFrame]


def build_rehearsal_buffer(v1_training: pd.DataFrame, rehearsal: dict[str, Any]) -> Frames:
    """Stamp the previous version's samples with their provenance and pick the buffer.

    ``rehearsal`` holds ``version``, ``file`` and the ``RehearsalBufferConfig`` fields.
    Returns (buffer, rejects).
    """
    options = dict(rehearsal)
    version, file = options.pop("version"), options.pop("file")
    config = RehearsalBufferConfig(**options)
    if config.track_provenance:
        v1_training = add_provenance(v1_training, version=version, file=file)
    return select_rehearsal(v1_training, config)


def rebalance_new_data(new_data: pd.DataFrame,
                       rebalance: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Sample the new data by weight. ``rebalance.group_by`` names what the weights are keyed
    by: ``origin`` (the data_generation source, from ``_metadata.origin``; the default) or a
    column such as ``domain``; the other keys are ``rebalance_frame``'s. Returns (kept, rejects,
    the plan's summary: weights asked and effective, samples available and taken per group)."""
    options = dict(rebalance)
    group_by = options.pop("group_by", ORIGIN_KEY)
    grouped = new_data.assign(**{GROUP_COLUMN: sample_groups(new_data, group_by)})
    kept, rejects, plan = rebalance_frame(grouped, GROUP_COLUMN, **options)
    summary = {"group_by": group_by, **plan.summary()}
    return kept.drop(columns=GROUP_COLUMN), rejects.drop(columns=GROUP_COLUMN), summary


def mix_with_rehearsal(rehearsal_buffer: pd.DataFrame, new_data: pd.DataFrame,
                       mix: dict[str, Any]) -> Frames:
    """New data plus enough of the buffer to make ``mix.rehearsal_ratio`` of the result."""
    return mix_rehearsal(rehearsal_buffer, new_data, **mix)


def split_samples(mixed: pd.DataFrame, split: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Leak-proof stratified ``{"train", "val", "test"}`` frames: equal texts, and members of
    one near-duplicate cluster (``_metadata.dup_cluster``), share a split."""
    clustered = mixed.assign(**{CLUSTER_COLUMN: metadata_values(mixed, CLUSTER_KEY)})
    parts = split_frame(clustered, group_column=CLUSTER_COLUMN, **split)
    return {name: part.drop(columns=CLUSTER_COLUMN) for name, part in parts.items()}


def export_splits(train: pd.DataFrame, val: pd.DataFrame, test: pd.DataFrame,
                  export: dict[str, Any], fmt: str) -> dict[str, list[dict[str, Any]]]:
    """Each split as records of trainer format ``fmt`` (bound per node with ``partial``)."""
    splits = {"train": train, "val": val, "test": test}
    return {name: convert_frame(frame, fmt, **export) for name, frame in splits.items()}


def collect_rejects(*step_rejects: pd.DataFrame) -> pd.DataFrame:
    """Every step's rejects in one frame (each row keeps its reject_step and reject_reason)."""
    return concat_frames(step_rejects)


def report_curation(v1_training: pd.DataFrame, new_data: pd.DataFrame,
                    rehearsal_buffer: pd.DataFrame, rebalanced_new_data: pd.DataFrame,
                    rebalance_summary: dict[str, Any], mixed_samples: pd.DataFrame,
                    train: pd.DataFrame, val: pd.DataFrame, test: pd.DataFrame,
                    mix: dict[str, Any], *step_rejects: pd.DataFrame) -> dict[str, Any]:
    """Row counts per input, step, split, domain and reject reason; the rebalance's weights
    asked and effective; its warnings, and one when the mix's rehearsal share falls short of
    ``mix.rehearsal_ratio``.

    The rejects come from the steps' Parquet tables: the JSONL rejects file keeps the reason
    columns only as top-level keys, which a sample reader files under ``_extra``.
    """
    return curation_reporting.curation_report(
        inputs={"v1_training": v1_training, "new_data": new_data},
        steps={"rehearsal_selected": rehearsal_buffer, "rebalanced": rebalanced_new_data,
               "mixed": mixed_samples},
        splits={"train": train, "val": val, "test": test},
        rejects=concat_frames(step_rejects),
        rehearsal_buffer=rehearsal_buffer,
        rehearsal_ratio=mix["rehearsal_ratio"],
        new_rows=len(rebalanced_new_data),
        rebalance=rebalance_summary,
    )


def curation_metrics(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The report's counts as MLflow metrics."""
    return curation_reporting.report_metrics(report)


def plot_domain_mix(report: dict[str, Any]) -> Any:  # a matplotlib Figure
    """Bar chart of the domain mix of the inputs against the curated splits."""
    return curation_reporting.plot_domain_mix(report["domain"]["before"], report["domain"]["after"])
