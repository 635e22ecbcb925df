"""The data_generation pipeline: configured generators -> one parquet per source -> raw_samples,
with a report (counts, domains, skipped inputs) and per-source counts in MLflow."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from afs.pipelines import stage_pipeline
from afs.pipelines.data_generation import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """The data_generation pipeline (``kedro run --pipelines=data_generation``)."""
    return stage_pipeline("data_generation", [
        Node(nodes.generate_samples, "params:data_generation",
             ["generated_samples", "generation_report"], name="generate_samples"),
        Node(nodes.combine_generated, "generated_samples", "raw_samples",
             name="combine_generated"),
        Node(nodes.generation_metrics, "generation_report", "generation_metrics",
             name="log_generation_metrics", tags="metrics"),
    ])
