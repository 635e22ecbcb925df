"""The deployment pipeline: LoRA adapter + base -> GGUF (data/06_models/model.gguf) -> smoke
evaluation through a served endpoint (report JSON + HTML) -> registered model in MLflow."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from afs.pipelines import stage_pipeline
from afs.pipelines.deployment import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """The deployment pipeline (``kedro run --pipelines=deployment``)."""
    return stage_pipeline("deployment", [
        Node(nodes.export_gguf_model,
             ["lora_adapter", "training_report", "params:training", "params:deployment"],
             "gguf_model", name="export_gguf", tags=["model", "export"]),
        Node(nodes.smoke_evaluate, ["gguf_model", "params:deployment"],
             ["smoke_eval_report", "smoke_eval_html"], name="smoke_evaluate",
             tags=["eval", "report"]),
        Node(nodes.register_model,
             ["gguf_model", "smoke_eval_report", "training_report", "params:training",
              "params:deployment"],
             "registered_model", name="register_model", tags="model"),
        Node(nodes.deployment_metrics, ["smoke_eval_report", "gguf_model"],
             "deployment_metrics", name="log_deployment_metrics", tags="metrics"),
    ])
