"""Training nodes: one LoRA run (``afs.finetune.lora.train_lora``) on the curated chat splits,
its report, and its numbers for MLflow."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from afs.curation.export import write_records_jsonl
from afs.finetune.lora import TRAINING_INFO, LoraReport, train_lora
from afs.registry.lineage import LINEAGE_TAGS, ROLE_NAME_TAG, ROLE_TAG
from afs.tracking import metric_history, tag_run

# report fields logged as MLflow metrics beside its val/train losses (training.<key>)
SUMMARY_METRICS = ("best_epoch", "steps", "seconds", "tokens_per_second")


def train_lora_adapter(train: list[dict[str, Any]], val: list[dict[str, Any]],
                       training: dict[str, Any]) -> tuple[str, LoraReport]:
    """Train LoRA adapters of ``training.base_model`` on the chat splits (OpenAI-format
    records) and write them to ``training.output_dir``; returns (adapter folder, report).

    The trainer reads files: the records are written to a temporary folder with the exports'
    own writer, so its dataset hash is that of the curation export files. ``training`` holds
    ``train_lora``'s keyword arguments, with the LoRA ones under ``lora``. Under ``kedro run``
    the trainer logs into kedro-mlflow's run, which is then tagged with the adapter's path
    (``afs.lineage.adapter``) and, with ``registry_name``, as that registry entry's adapter run
    (``afs.registry.name``/``afs.registry.role``).
    """
    options = dict(training)
    base_model, output_dir = options.pop("base_model"), options.pop("output_dir")
    registry_name = options.pop("registry_name", None)
    lora = options.pop("lora", {}) or {}
    with tempfile.TemporaryDirectory(prefix="afs-lora-splits-") as folder:
        paths = {name: Path(folder) / f"{name}.jsonl" for name in ("train", "val")}
        write_records_jsonl(train, paths["train"])
        write_records_jsonl(val, paths["val"])
        report = train_lora(base_model, paths["train"], paths["val"], output_dir, **lora,
                            **options)
    tags = {LINEAGE_TAGS["adapter"]: Path(output_dir).resolve()}
    if registry_name:
        tags.update({ROLE_NAME_TAG: registry_name, ROLE_TAG: "adapter"})
    tag_run(report.mlflow_run_id, tags)
    return str(output_dir), report


def report_training(report: LoraReport) -> dict[str, Any]:
    """The run as JSON: adapter, val loss/perplexity of the kept epoch, per-epoch history,
    rows read and conversations trained on, dataset hash, settings and speed."""
    info = json.loads((Path(report.output_dir) / TRAINING_INFO).read_text())
    return {
        "adapter": str(Path(report.output_dir).resolve()),
        "base_model": report.params["base_model"],
        "metrics": report.metrics,
        "best_epoch": report.best_epoch,
        "stopped_early": report.stopped_early,
        "history": report.history,
        "rows": report.dataset["rows"],
        "examples": info["examples"],
        "dropped_no_assistant_tokens": info["dropped_no_assistant_tokens"],
        "dataset_hash": report.dataset["hash"],
        "params": report.params,
        "steps": info["steps"],
        "seconds": report.seconds,
        "tokens_per_second": round(report.tokens_per_second, 1),
        "resumed_from": report.resumed_from,
        "mlflow_run_id": report.mlflow_run_id,
    }


def training_metrics(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The report's numbers as MLflow metrics (MlflowMetricsHistoryDataset adds
    ``training.``); the trainer itself logs the per-step and per-epoch curves as ``lora.*``."""
    flat = {**report["metrics"], **{key: report[key] for key in SUMMARY_METRICS},
            **{f"rows.{k}": v for k, v in report["rows"].items()},
            **{f"examples.{k}": v for k, v in report["examples"].items()}}
    return metric_history(flat)
