"""The deployment pipeline under SequentialRunner on the project's own catalog and parameters
(data root in tmp_path): a LoRA adapter trained on the tiny base for the test becomes a GGUF
file, a real llama.cpp server answers the smoke evaluation, and the GGUF is registered in an
MLflow model registry with its lineage linked to a registry entry."""

from __future__ import annotations

import copy
import json

import pytest
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner

from afs.errors import ConfigError
from afs.pipelines.deployment import create_pipeline

from ..training.test_pipeline import RAW, load_project_config, write_chat_splits

REGISTRY_NAME = "deploy-test"


@pytest.fixture(scope="module")
def deployed(tmp_path_factory, tiny_cache):
    """A trained adapter + training report in a project data folder, then one pipeline run
    inside an active MLflow run on a SQLite store that also holds a registry entry."""
    import mlflow

    from afs.pipelines.training.nodes import report_training
    from afs.finetune.lora import train_lora
    from afs.registry.experiments import create_experiment

    root = tmp_path_factory.mktemp("deployment")
    data = root / "data"
    write_chat_splits(data)
    openai = data / "05_model_input" / "openai"
    catalog_config, parameters = load_project_config(root)
    training = copy.deepcopy(parameters["training"])
    training.update(cache_dir=str(tiny_cache), raw_dir=str(RAW), registry_name=REGISTRY_NAME)
    deployment = copy.deepcopy(parameters["deployment"])
    deployment["suite"] = str(RAW / "eval" / "eval_suite.jsonl")
    deployment["smoke"].update(sample_size=4, max_tokens=16, n_threads=1)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    report = train_lora("tiny", openai / "train.jsonl", openai / "val.jsonl",
                        training["output_dir"], r=4, epochs=1, batch_size=8, max_length=128,
                        seed=3, mlflow=False, early_stopping_patience=None,
                        cache_dir=tiny_cache, raw_dir=RAW)
    catalog = DataCatalog.from_config({**catalog_config,
                                       "deployment_metrics": {"type": "MemoryDataset"},
                                       "smoke_eval_html": {"type": "text.TextDataset",
                                                           "filepath": str(root / "smoke.html")}})
    catalog["training_report"] = report_training(report)
    catalog["params:training"] = training
    catalog["params:deployment"] = deployment
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.delenv("MLFLOW_RUN_ID", raising=False)
        create_experiment(REGISTRY_NAME, "tiny", openai / "train.jsonl", tracking_uri=uri)
        with mlflow.start_run() as run:
            SequentialRunner().run(create_pipeline(), catalog)
    return {"root": root, "data": data, "catalog": catalog, "uri": uri, "run_id": run.info.run_id,
            "deployment": deployment, "training": training,
            "client": mlflow.MlflowClient(uri)}


def test_the_gguf_is_written_where_the_catalog_says_and_llama_cpp_runs_it(deployed):
    from llama_cpp import Llama

    from afs.deployment.quantize import gguf_tensor_types

    gguf = deployed["data"] / "06_models" / "model.gguf"
    assert deployed["catalog"].load("gguf_model") == str(gguf)
    assert gguf_tensor_types(gguf)["Q8_0"] > 0
    llm = Llama(model_path=str(gguf), n_ctx=64, verbose=False)
    assert len(llm.tokenize(b"LDA #$00")) > 1
    assert gguf.stat().st_mode & 0o777 == 0o644  # not the temp file's private 0600


def test_the_smoke_evaluation_went_through_the_served_endpoint(deployed):
    report = json.loads((deployed["data"] / "08_reporting" / "smoke_eval_report.json")
                        .read_text())
    model = report["models"]["smoke"]
    assert model["status"] == "ok" and model["model"] == "afs-tiny"
    assert model["summary"]["answered"] == report["suite"]["items"] == 4
    assert all(item["completion_tokens"] and item["latency_s"] > 0 for item in model["items"])
    assert '<img src="data:image/png;base64,' in (deployed["root"] / "smoke.html").read_text()
    metrics = deployed["catalog"].load("deployment_metrics")
    assert metrics["eval.smoke.answered"] == {"value": 4.0, "step": 0}
    assert metrics["gguf_megabytes"]["value"] > 0.1


def test_the_gguf_is_a_registered_model_version_with_lineage(deployed):
    from afs.registry.experiments import experiment_info

    client = deployed["client"]
    registered = deployed["catalog"].load("registered_model")
    assert registered["run_id"] == deployed["run_id"]
    version = client.get_model_version("afs-tiny", registered["version"])
    assert version.source == f"runs:/{deployed['run_id']}/gguf/model.gguf"
    assert version.tags["quantization"] == "Q8_0"
    assert version.tags["base_model"] == "tiny"
    assert float(version.tags["smoke.tokens_per_s"]) > 0
    info = experiment_info(REGISTRY_NAME, deployed["uri"])
    assert info.lineage.gguf == str((deployed["data"] / "06_models" / "model.gguf").resolve())
    assert info.lineage.gguf_run == deployed["run_id"]
    assert info.lineage.registered_model == f"afs-tiny/{registered['version']}"
    assert info.registered_model.source == version.source


def test_a_server_that_does_not_answer_in_time_registers_nothing(deployed, tmp_path):
    from afs.pipelines.deployment.nodes import register_model, smoke_evaluate

    deployment = copy.deepcopy(deployed["deployment"])
    deployment["smoke"].update(timeout_s=0.001, sample_size=2)
    gguf = deployed["catalog"].load("gguf_model")
    versions = len(deployed["client"].search_model_versions("name='afs-tiny'"))
    with pytest.raises(ConfigError, match="smoke evaluation of the served GGUF failed"):
        report, _ = smoke_evaluate(gguf, deployment)
        register_model(gguf, report, {}, deployed["training"], deployment)
    assert len(deployed["client"].search_model_versions("name='afs-tiny'")) == versions
