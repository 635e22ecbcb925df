"""The training pipeline: the curated OpenAI-format chat splits -> a LoRA adapter
(data/06_models/lora_adapter), its report, and MLflow params, curves, metrics and lineage tags."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from afs.pipelines import stage_pipeline
from afs.pipelines.training import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """The training pipeline (``kedro run --pipelines=training``)."""
    return stage_pipeline("training", [
        Node(nodes.train_lora_adapter,
             ["openai_train_export", "openai_val_export", "params:training"],
             ["lora_adapter", "lora_training_run"], name="train_lora_adapter", tags="model"),
        Node(nodes.report_training, "lora_training_run", "training_report",
             name="report_training", tags="report"),
        Node(nodes.training_metrics, "training_report", "training_metrics",
             name="log_training_metrics", tags="metrics"),
    ])
