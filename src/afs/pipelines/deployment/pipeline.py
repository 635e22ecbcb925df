"""The deployment pipeline: LoRA adapter + base -> GGUF (data/06_models/model.gguf) -> smoke
evaluation through a served endpoint (report JSON + HTML) -> registered model in MLflow."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from afs.pipelines.deployment import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """The deployment pipeline (``kedro run --pipelines=deployment``)."""
    return Pipeline([
        Node(nodes.export_gguf_model,
             ["lora_adapter", "training_report", "params:training", "params:deployment"],
             "gguf_model", name="export_gguf_node"),
        Node(nodes.smoke_evaluate, ["gguf_model", "params:deployment"],
             ["smoke_eval_report", "smoke_eval_html"], name="smoke_evaluate_node"),
        Node(nodes.register_model,
             ["gguf_model", "smoke_eval_report", "training_report", "params:training",
              "params:deployment"],
             "registered_model", name="register_model_node"),
        Node(nodes.deployment_metrics, ["smoke_eval_report", "gguf_model"],
             "deployment_metrics", name="log_deployment_metrics_node"),
    ])
