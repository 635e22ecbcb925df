"""The training pipeline under SequentialRunner, on the project's own catalog and parameters
pointed at small chat splits in tmp_path (the openai exports, as curation writes them) and a
small base model folder built for the test: the adapter is written where the catalog says, the
report has the val loss/perplexity and row counts, and the active MLflow run gets the trainer's
params and curves, the training.* metrics and the lineage tags."""

from __future__ import annotations

import copy
import math
import shutil
from pathlib import Path

import orjson
import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog, DatasetError
from kedro.runner import SequentialRunner

from afs.datasets import FilePathDataset
from afs.pipelines.training import create_pipeline
from afs.finetune.chat_data import dataset_fingerprint

PROJECT_ROOT = Path(__file__).resolve().parents[3]
RAW = PROJECT_ROOT / "data" / "01_raw"
ROWS = {"train": 24, "val": 8}
REGISTRY_NAME = "pipeline-test"


def write_chat_splits(data: Path) -> list[str]:
    """train/val OpenAI-format chat files from the shipped v1 samples (cut short so that each
    fits max_length); returns every text written, for the test base model's tokenizer."""
    samples = [orjson.loads(line) for line in
               (RAW / "v1_training.jsonl").read_bytes().splitlines() if line.strip()]
    texts, start = [], 0
    folder = data / "05_model_input" / "openai"
    folder.mkdir(parents=True)
    for split, rows in ROWS.items():
        with (folder / f"{split}.jsonl").open("wb") as handle:
            for sample in samples[start:start + rows]:
                question, answer = sample["instruction"][:80], sample["output"][:120]
                texts += [question, answer]
                record = {"messages": [{"role": "user", "content": question},
                                       {"role": "assistant", "content": answer}]}
                handle.write(orjson.dumps(record) + b"\n")
        start += rows
    return texts


def load_project_config(root: Path) -> tuple[dict, dict]:
    """(catalog config, parameters) from a copy of conf/base whose data root is ``root/data``."""
    shutil.copytree(PROJECT_ROOT / "conf" / "base", root / "conf" / "base")
    (root / "conf" / "base" / "globals.yml").write_text(f"data_root: {root / 'data'}\n")
    (root / "conf" / "local").mkdir()
    loader = OmegaConfigLoader(str(root / "conf"), base_env="base", default_run_env="local")
    return loader["catalog"], loader["parameters"]


def build_catalog(catalog_config: dict, training: dict) -> DataCatalog:
    """The project catalog, metrics kept in memory (kedro-mlflow's hook is not running)."""
    catalog = DataCatalog.from_config({**catalog_config,
                                       "training_metrics": {"type": "MemoryDataset"}})
    catalog["params:training"] = training
    return catalog


@pytest.fixture(scope="module")
def training_run(tmp_path_factory):
    """One pipeline run (2 epochs) inside an active MLflow run on a SQLite store, with a
    small, un-warmed base model folder as ``base_model`` (``tiny`` itself is built and used by
    the end-to-end `kedro run` test)."""
    import mlflow

    from afs.finetune.tiny import build_tiny_model

    root = tmp_path_factory.mktemp("training")
    texts = write_chat_splits(root / "data")
    base = build_tiny_model(root / "base", texts=texts, vocab_size=400, pretrain_steps=0)
    catalog_config, parameters = load_project_config(root)
    training = copy.deepcopy(parameters["training"])
    training.update(base_model=str(base), cache_dir=str(root / "models"), epochs=2,
                    batch_size=8, max_length=128, registry_name=REGISTRY_NAME)
    training["lora"]["r"] = 4
    catalog = build_catalog(catalog_config, training)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.delenv("MLFLOW_RUN_ID", raising=False)
        with mlflow.start_run() as run:
            SequentialRunner().run(create_pipeline(), catalog)
        assert mlflow.active_run() is None
    return {"root": root, "data": root / "data", "catalog": catalog, "training": training,
            "run": mlflow.MlflowClient(uri).get_run(run.info.run_id),
            "client": mlflow.MlflowClient(uri)}


def test_adapter_is_written_where_the_catalog_says(training_run):
    adapter = training_run["data"] / "06_models" / "lora_adapter"
    assert training_run["catalog"].load("lora_adapter") == str(adapter)
    for name in ("adapter_config.json", "adapter_model.safetensors", "training.json"):
        assert (adapter / name).stat().st_size > 0
    config = orjson.loads((adapter / "adapter_config.json").read_bytes())
    assert config["r"] == 4 and config["lora_alpha"] == 16
    assert set(config["target_modules"]) == {"q_proj", "k_proj", "v_proj", "o_proj",
                                             "gate_proj", "up_proj", "down_proj"}
    # the checkpoint is gone once the adapter is in place
    assert not (adapter.parent / ".lora_adapter.checkpoint").exists()


def test_report_has_val_loss_perplexity_and_row_counts(training_run):
    path = training_run["data"] / "06_models" / "training_report.json"
    report = orjson.loads(path.read_bytes())
    assert report["rows"] == ROWS
    assert report["examples"] == ROWS  # every conversation fits max_length whole
    assert [entry["epoch"] for entry in report["history"]] == [1, 2]
    best = report["history"][report["best_epoch"] - 1]
    assert report["metrics"]["val_loss"] == best["val_loss"]
    assert math.isfinite(report["metrics"]["val_loss"]) and report["metrics"]["val_loss"] > 0
    assert report["metrics"]["val_perplexity"] == pytest.approx(
        math.exp(report["metrics"]["val_loss"]))
    assert report["adapter"] == str((training_run["data"] / "06_models" / "lora_adapter").resolve())
    assert report["params"]["r"] == 4 and report["params"]["epochs"] == 2
    # the trainer hashed the same bytes as the curation export files
    folder = training_run["data"] / "05_model_input" / "openai"
    exports = {split: folder / f"{split}.jsonl" for split in ROWS}
    assert report["dataset_hash"] == dataset_fingerprint(exports)["hash"]
    assert report["steps"] == 2 * math.ceil(24 / 8)
    metrics = training_run["catalog"].load("training_metrics")
    assert metrics["val_loss"] == {"value": report["metrics"]["val_loss"], "step": 0}
    assert metrics["rows.train"]["value"] == 24 and metrics["examples.val"]["value"] == 8


def test_active_mlflow_run_gets_trainer_logs_and_lineage_tags(training_run):
    run = training_run["run"]
    adapter = training_run["data"] / "06_models" / "lora_adapter"
    assert run.data.tags["afs.lineage.adapter"] == str(adapter.resolve())
    assert run.data.tags["afs.registry.name"] == REGISTRY_NAME
    assert run.data.tags["afs.registry.role"] == "adapter"
    assert run.data.params["lora.r"] == "4" and run.data.params["lora.rows_train"] == "24"
    assert "lora.best_val_loss" in run.data.metrics
    history = training_run["client"].get_metric_history(run.info.run_id, "lora.val_loss")
    assert len(history) == 2
    artifacts = {a.path for a in training_run["client"].list_artifacts(run.info.run_id,
                                                                         "adapter")}
    assert "adapter/adapter_model.safetensors" in artifacts


def test_training_alone_before_curation_says_what_to_run(tmp_path):
    catalog_config, parameters = load_project_config(tmp_path)
    catalog = build_catalog(catalog_config, parameters["training"])
    with pytest.raises(DatasetError, match=r"written by the curation pipeline; run "
                                           r"`kedro run --pipelines=curation` first"):
        SequentialRunner().run(create_pipeline(), catalog)


def test_adapter_path_must_match_the_catalog(tmp_path):
    dataset = FilePathDataset(filepath=str(tmp_path / "adapter"), written_by="training")
    with pytest.raises(DatasetError, match="written by the training pipeline"):
        dataset.load()
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(DatasetError, match="but the catalog expects"):
        dataset.save(str(tmp_path / "elsewhere"))
    with pytest.raises(DatasetError, match="wrote nothing there"):
        dataset.save(str(tmp_path / "adapter"))
    (tmp_path / "adapter").mkdir()
    dataset.save(str(tmp_path / "adapter"))
    assert dataset.load() == str(tmp_path / "adapter") and dataset.exists()
