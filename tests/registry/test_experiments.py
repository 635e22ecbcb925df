"""The experiment registry on a real MLflow SQLite store under tmp_path: create, list, info,
lineage, and where the store is found (explicit URI, MLFLOW_TRACKING_URI, the Kedro project)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from afs.errors import ConfigError
from afs.registry.fingerprint import fingerprint_dataset
from afs.registry.experiments import (
    REGISTRY_EXPERIMENT, create_experiment, experiment_info, list_experiments, record_lineage,
)
from afs.registry.store import resolve_tracking_uri

ROWS = [{"instruction": f"what does Label_{i} do?", "output": f"LDA ${i:04X}"} for i in range(7)]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One SQLite store (creating one costs seconds) with two entries; tests add their own."""
    root = tmp_path_factory.mktemp("registry")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    dataset = write_jsonl(root / "train.jsonl", ROWS)
    first = create_experiment("majora-v2-baseline", "unsloth/Qwen2.5-Coder-7B-Instruct-bnb-4bit",
                              dataset, framework="unsloth", tags=("majora", "oracle", "majora"),
                              notes="First v2 training", tracking_uri=uri)
    second = create_experiment("tiny-smoke", "tiny", dataset, tracking_uri=uri)
    return {"root": root, "uri": uri, "dataset": dataset, "first": first, "second": second}


def test_create_records_model_framework_tags_notes_and_dataset(store):
    entry = store["first"]
    assert entry.name == "majora-v2-baseline"
    assert entry.base_model == "unsloth/Qwen2.5-Coder-7B-Instruct-bnb-4bit"
    assert entry.framework == "unsloth"
    assert entry.tags == ("majora", "oracle")  # a repeated tag is kept once
    assert entry.notes == "First v2 training"
    assert entry.dataset.rows == len(ROWS)
    assert entry.dataset.path == str(store["dataset"].resolve())
    assert store["second"].framework == "peft" and store["second"].tags == ()


def test_dataset_hash_is_the_sha256_of_the_file_bytes(store):
    expected = hashlib.sha256(store["dataset"].read_bytes()).hexdigest()
    assert store["first"].dataset.sha256 == expected
    info = experiment_info("majora-v2-baseline", store["uri"])
    assert info.params["dataset_sha256"] == expected
    assert info.lineage.dataset_sha256 == expected


def test_the_entry_is_an_mlflow_run_with_tags_params_and_a_dataset_input(store):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=store["uri"])
    run = client.get_run(store["first"].run_id)
    experiment = client.get_experiment(run.info.experiment_id)
    assert experiment.name == REGISTRY_EXPERIMENT and run.info.status == "FINISHED"
    assert run.info.run_name == "majora-v2-baseline"
    assert run.data.tags["afs.name"] == "majora-v2-baseline"
    assert run.data.tags["afs.tags"] == "majora,oracle"
    assert run.data.tags["mlflow.note.content"] == "First v2 training"
    assert run.data.params["dataset_rows"] == str(len(ROWS))
    (dataset_input,) = run.inputs.dataset_inputs
    assert store["first"].dataset.sha256.startswith(dataset_input.dataset.digest)
    assert dataset_input.dataset.name == "train.jsonl"


def test_list_returns_every_entry_oldest_first(store):
    names = [entry.name for entry in list_experiments(store["uri"])]
    assert names[:2] == ["majora-v2-baseline", "tiny-smoke"]
    listed = {entry.name: entry for entry in list_experiments(store["uri"])}
    assert listed["majora-v2-baseline"] == store["first"]


def test_info_round_trips_to_json(store):
    info = experiment_info("majora-v2-baseline", store["uri"])
    data = json.loads(json.dumps(info.to_dict()))
    assert data["experiment"]["tags"] == ["majora", "oracle"]
    assert data["params"]["base_model"] == "unsloth/Qwen2.5-Coder-7B-Instruct-bnb-4bit"
    assert data["lineage"]["adapter_run"] is None and data["linked_runs"] == []


def test_a_duplicate_name_is_refused(store):
    with pytest.raises(ConfigError, match="'majora-v2-baseline': already registered"):
        create_experiment("majora-v2-baseline", "tiny", store["dataset"], tracking_uri=store["uri"])


def test_a_missing_dataset_is_refused_before_the_store_is_touched(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with pytest.raises(ConfigError, match="--dataset .*missing.jsonl: no such file"):
        create_experiment("x", "tiny", tmp_path / "missing.jsonl", tracking_uri=uri)
    assert not (tmp_path / "mlflow.db").exists()


@pytest.mark.parametrize("name", ["", "has space", "quote'd", "-leading-dash"])
def test_a_bad_name_is_refused(tmp_path, name):
    with pytest.raises(ConfigError, match="--name"):
        create_experiment(name, "tiny", tmp_path / "x.jsonl", tracking_uri="sqlite:///unused.db")


def test_an_unknown_name_lists_close_names(store):
    with pytest.raises(ConfigError, match="did you mean: majora-v2-baseline"):
        experiment_info("majora-v2-basline", store["uri"])
    with pytest.raises(ConfigError, match="registered: majora-v2-baseline, tiny-smoke"):
        experiment_info("zzz", store["uri"])
    with pytest.raises(ConfigError, match="no registry experiment named \"it's\""):
        experiment_info("it's", store["uri"])  # a quote cannot break MLflow's filter string


def test_an_empty_registry_lists_nothing_and_creates_no_store(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert list_experiments(uri) == []
    with pytest.raises(ConfigError, match="the registry is empty"):
        experiment_info("anything", uri)
    assert not (tmp_path / "mlflow.db").exists()


def test_lineage_from_registry_tags_and_from_runs_that_name_the_entry(store):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=store["uri"])
    training = client.create_experiment("afs", artifact_location=(store["root"] / "art").as_uri())
    adapter_run = client.create_run(training, tags={"afs.registry.name": "tiny-smoke",
                                                    "afs.registry.role": "adapter",
                                                    "afs.lineage.adapter": "data/06_models/lora"})
    client.log_metric(adapter_run.info.run_id, "val_loss", 1.25)
    client.log_text(adapter_run.info.run_id, "{}", "adapter/adapter_config.json")
    record_lineage("tiny-smoke", store["uri"], gguf="data/06_models/tiny.Q8_0.gguf",
                   registered_model="afs-tiny/1")

    info = experiment_info("tiny-smoke", store["uri"])
    assert info.lineage.adapter_run == adapter_run.info.run_id
    assert info.lineage.adapter == "data/06_models/lora"
    assert info.lineage.gguf == "data/06_models/tiny.Q8_0.gguf"
    assert info.lineage.registered_model == "afs-tiny/1"
    assert info.registered_model.error  # named, but not registered in this store yet
    (linked,) = info.linked_runs
    assert linked.role == "adapter" and linked.metrics == {"val_loss": 1.25}
    assert linked.artifacts == ("adapter/adapter_config.json",)
    with pytest.raises(ConfigError, match="unknown link"):
        record_lineage("tiny-smoke", store["uri"], checkpoint="x")


@pytest.mark.parametrize("name, content, rows", [
    ("a.jsonl", '{"a": 1}\n\n{"a": 2}\n', 2),
    ("a.csv", "x,y\n1,2\n3,4\n5,6\n", 3),
    ("a.json", '[{"a": 1}, {"a": 2}]', 2),
])
def test_row_counts_by_format(tmp_path, name, content, rows):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert fingerprint_dataset(path).rows == rows


def test_row_count_of_a_parquet_file(tmp_path):
    import pandas as pd

    pd.DataFrame({"a": range(5)}).to_parquet(tmp_path / "a.parquet")
    assert fingerprint_dataset(tmp_path / "a.parquet").rows == 5


def test_tracking_uri_order_explicit_then_env_then_project_then_cwd(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "conf" / "base").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[tool.kedro]\npackage_name = "x"\n')
    (project / "conf" / "base" / "mlflow.yml").write_text(
        "server:\n  mlflow_tracking_uri: sqlite:///mlflow.db\n")
    subfolder = project / "data" / "01_raw"
    subfolder.mkdir(parents=True)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)

    assert resolve_tracking_uri(cwd=subfolder) == f"sqlite:///{project.resolve() / 'mlflow.db'}"
    assert resolve_tracking_uri(cwd=tmp_path) == f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"
    (project / "conf" / "local").mkdir()
    (project / "conf" / "local" / "mlflow.yml").write_text(
        "server:\n  mlflow_tracking_uri: sqlite:///local.db\n")
    assert resolve_tracking_uri(cwd=subfolder) == f"sqlite:///{project.resolve() / 'local.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:////elsewhere/env.db")
    assert resolve_tracking_uri(cwd=subfolder) == "sqlite:////elsewhere/env.db"
    assert resolve_tracking_uri("sqlite:////given.db", cwd=subfolder) == "sqlite:////given.db"


def test_info_looks_up_the_registered_gguf_model_version(store):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=store["uri"])
    client.create_registered_model("afs-majora")
    version = client.create_model_version("afs-majora", source=str(store["root"] / "m.gguf"),
                                          run_id=store["first"].run_id)
    record_lineage("majora-v2-baseline", store["uri"],
                   registered_model=f"afs-majora/{version.version}")

    ref = experiment_info("majora-v2-baseline", store["uri"]).registered_model
    assert (ref.reference, ref.error) == (f"afs-majora/{version.version}", None)
    assert ref.source == str(store["root"] / "m.gguf") and ref.run_id == store["first"].run_id
