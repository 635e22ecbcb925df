"""Deployment nodes: the trained adapter + its base -> one GGUF file -> a smoke evaluation
through a real llama.cpp server -> a registered model version in MLflow.

Each node calls one library function (``afs.deployment``) and shapes its result for the
catalog; the rules live in the library."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from afs.deployment.evaluation import evaluate_suite, evaluation_metrics
from afs.deployment.gguf_export import convert_lora_to_gguf
from afs.deployment.server import start_server
from afs.errors import ConfigError
from afs.registry.models import register_gguf_model
from afs.reports.evaluation import evaluation_report_html
from afs.tracking import metric_history

log = logging.getLogger(__name__)

SMOKE_ENDPOINT = "smoke"  # the served GGUF's name in the smoke evaluation report


def export_gguf_model(lora_adapter: str, training_report: dict[str, Any],
                      training: dict[str, Any], deployment: dict[str, Any]) -> str:
    """Merge the adapter into the base model it was trained on (the training report's
    ``base_model``, built or found as training did) and write ``deployment.output_path``
    quantized to ``deployment.quantization``; returns that path."""
    convert_lora_to_gguf(
        lora_adapter, deployment["output_path"], training_report["base_model"],
        quantization=deployment["quantization"], device=deployment.get("device", "auto"),
        cache_dir=training["cache_dir"], raw_dir=training["raw_dir"])
    return str(deployment["output_path"])


def smoke_evaluate(gguf_model: str, deployment: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Serve the GGUF on a free loopback port (llama-cpp-python's OpenAI-compatible server),
    ask it ``smoke.sample_size`` items of the eval suite through the OpenAI client, and
    return (report, its HTML page). The model passing the checks is not required (the tiny
    model does not); the server answering every request is: otherwise the model is not
    registered and the run fails, naming the errors."""
    smoke = deployment["smoke"]
    with start_server(gguf_model, n_ctx=smoke["n_ctx"], n_threads=smoke.get("n_threads"),
                      model_alias=deployment["model_name"],
                      ready_timeout_s=smoke["ready_timeout_s"]) as server:
        report = evaluate_suite({SMOKE_ENDPOINT: server.url}, deployment["suite"],
                                sample_size=smoke["sample_size"], seed=smoke["seed"],
                                concurrency=smoke["concurrency"], timeout_s=smoke["timeout_s"],
                                max_tokens=smoke["max_tokens"],
                                temperature=smoke["temperature"], progress=False)
    check_smoke_answers(report)
    summary = report["models"][SMOKE_ENDPOINT]["summary"]
    log.info("smoke evaluation: %d/%d answered, pass rate %s, %.1f tokens/s",
             summary["answered"], report["suite"]["items"], summary.get("pass_rate"),
             summary.get("tokens_per_s") or 0.0)
    return report, evaluation_report_html(report)


def check_smoke_answers(report: dict[str, Any]) -> None:
    """A ConfigError when the served model failed to answer any item of the smoke test."""
    model = report["models"][SMOKE_ENDPOINT]
    summary = model.get("summary") or {}
    if model["status"] in ("unreachable", "error") or summary.get("errors"):
        errors = [item.get("error") for item in model.get("items", []) if item.get("error")]
        detail = model.get("error") or (errors[0] if errors else model["status"])
        raise ConfigError(f"smoke evaluation of the served GGUF failed "
                          f"({summary.get('errors', 0)} errors): {detail}; the model is not "
                          "registered (raise deployment.smoke.timeout_s on a slow machine)")


def register_model(gguf_model: str, smoke_report: dict[str, Any],
                   training_report: dict[str, Any], training: dict[str, Any],
                   deployment: dict[str, Any]) -> dict[str, Any]:
    """Register the GGUF as a new version of ``deployment.model_name`` in the MLflow model
    registry (artifact in the active run), tagged with its quantization, base model, dataset
    hash and smoke figures; returns the version's record."""
    summary = smoke_report["models"][SMOKE_ENDPOINT]["summary"]
    tags = {"quantization": deployment["quantization"],
            "base_model": training_report["base_model"],
            "dataset_hash": training_report["dataset_hash"],
            "adapter": training_report["adapter"],
            "smoke.pass_rate": summary.get("pass_rate"),
            "smoke.tokens_per_s": summary.get("tokens_per_s"),
            "smoke.suite_sha256": smoke_report["suite"]["sha256"]}
    registered = register_gguf_model(
        gguf_model, deployment["model_name"], tags=tags,
        description=deployment.get("description", ""),
        registry_name=training.get("registry_name"))
    log.info("registered %s (%s)", registered.reference, registered.source)
    return registered.to_dict()


def deployment_metrics(smoke_report: dict[str, Any], gguf_model: str) -> dict[str, dict]:
    """The smoke figures (``eval.smoke.*``) and the GGUF's size, as MLflow metrics
    (MlflowMetricsHistoryDataset adds ``deployment.``)."""
    metrics = {**evaluation_metrics(smoke_report),
               "gguf_megabytes": Path(gguf_model).stat().st_size / 1e6}
    return metric_history(metrics)
