"""`afs training registry-*` through the real console script, on a tmp Kedro project whose
conf/base/mlflow.yml points at sqlite:///mlflow.db (the store kedro-mlflow uses)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from .clitools import afs_env, afs_executable, assert_user_error, summary_line

SPEC_CREATE = ("training", "registry-create", "--name", "majora-v2-baseline",
               "--model", "unsloth/Qwen2.5-Coder-7B-Instruct-bnb-4bit", "--framework", "unsloth",
               "--dataset", "training_data/majora_v2_mixed.jsonl", "--tag", "majora",
               "--tag", "oracle", "--notes", "First v2 training")


def run_afs(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`afs ARGS…` in ``cwd`` with no MLflow settings from outside the test."""
    base = afs_env(cwd)
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME"):
        base.pop(name, None)
    return subprocess.run([str(afs_executable()), *args], cwd=cwd, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def make_project(root: Path) -> Path:
    """A Kedro project skeleton: pyproject.toml with [tool.kedro], conf/base/mlflow.yml."""
    (root / "conf" / "base").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.kedro]\npackage_name = "afs"\n')
    (root / "conf" / "base" / "mlflow.yml").write_text(
        "server:\n  mlflow_tracking_uri: sqlite:///mlflow.db\n")
    data = root / "training_data"
    data.mkdir()
    rows = [{"instruction": f"what does Label_{i} do?", "output": f"LDA ${i:04X}"}
            for i in range(5)]
    (data / "majora_v2_mixed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project with the spec's example experiment registered (one store for the module)."""
    root = make_project(tmp_path_factory.mktemp("project"))
    created = run_afs(root, *SPEC_CREATE)
    return {"root": root, "created": created}


def test_create_prints_one_summary_and_writes_to_the_project_store(project):
    line = summary_line(project["created"])
    assert line.startswith("registry-create: majora-v2-baseline (run ")
    assert "dataset 5 rows" in line
    assert line.endswith(f"-> sqlite:///{project['root'].resolve() / 'mlflow.db'}")
    assert (project["root"] / "mlflow.db").is_file()


def test_list_prints_a_table_from_any_subfolder_of_the_project(project):
    subfolder = project["root"] / "training_data"
    result = run_afs(subfolder, "training", "registry-list")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.strip().splitlines()
    assert header.split() == ["NAME", "MODEL", "FRAMEWORK", "ROWS", "TAGS", "CREATED"]
    assert rows[0].split()[:5] == ["majora-v2-baseline",
                                   "unsloth/Qwen2.5-Coder-7B-Instruct-bnb-4bit", "unsloth", "5",
                                   "majora,oracle"]


def test_list_json_is_one_document_with_the_dataset_hash(project):
    result = run_afs(project["root"], "training", "registry-list", "--json")
    assert result.returncode == 0, result.stderr
    (entry,) = json.loads(result.stdout)
    dataset = project["root"] / "training_data" / "majora_v2_mixed.jsonl"
    assert entry["name"] == "majora-v2-baseline" and entry["tags"] == ["majora", "oracle"]
    assert entry["notes"] == "First v2 training" and entry["framework"] == "unsloth"
    assert entry["dataset"]["sha256"] == hashlib.sha256(dataset.read_bytes()).hexdigest()
    assert entry["dataset"]["rows"] == 5


def test_info_shows_params_dataset_hash_artifacts_and_lineage(project):
    result = run_afs(project["root"], "training", "registry-info", "majora-v2-baseline")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    sha = hashlib.sha256((project["root"] / "training_data" / "majora_v2_mixed.jsonl")
                         .read_bytes()).hexdigest()
    assert f"sha256:     {sha}" in text
    assert "  base_model = unsloth/Qwen2.5-Coder-7B-Instruct-bnb-4bit" in text
    assert "tags:       majora, oracle" in text and "notes:      First v2 training" in text
    assert "artifacts:  -" in text and "metrics:    -" in text
    assert "lineage:" in text and "  adapter  (not produced yet)" in text


def test_info_json_parses(project):
    result = run_afs(project["root"], "training", "registry-info", "majora-v2-baseline", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["experiment"]["name"] == "majora-v2-baseline"
    assert info["params"]["dataset_rows"] == "5"
    assert info["lineage"]["dataset_sha256"] == info["experiment"]["dataset"]["sha256"]
    assert info["lineage"]["gguf"] is None and info["artifacts"] == []


def test_a_duplicate_name_is_one_error_line(project):
    result = run_afs(project["root"], *SPEC_CREATE)
    assert_user_error(result, "--name 'majora-v2-baseline': already registered")


def test_an_unknown_name_is_one_error_line_with_close_names(project):
    result = run_afs(project["root"], "training", "registry-info", "majora-v2")
    assert_user_error(result, "no registry experiment named 'majora-v2'",
                      "did you mean: majora-v2-baseline")


def test_a_missing_dataset_is_one_error_line_naming_it(tmp_path):
    root = make_project(tmp_path)
    result = run_afs(root, "training", "registry-create", "--name", "x", "--model", "tiny",
                     "--dataset", "training_data/nope.jsonl")
    assert_user_error(result, "--dataset training_data/nope.jsonl: no such file")
    assert not (root / "mlflow.db").exists()


def test_mlflow_tracking_uri_and_tracking_uri_flag_choose_the_store(project, tmp_path):
    other = f"sqlite:///{tmp_path / 'other.db'}"
    created = run_afs(project["root"], "training", "registry-create", "--name", "elsewhere",
                      "--model", "tiny", "--dataset", "training_data/majora_v2_mixed.jsonl",
                      "--tag", "a", "--tag", "b", "--tag", "a", MLFLOW_TRACKING_URI=other)
    assert summary_line(created).endswith(f"-> {other}")

    listed = run_afs(project["root"], "training", "registry-list", "--json",
                     "--tracking-uri", other)
    entries = json.loads(listed.stdout)
    assert [(e["name"], e["tags"]) for e in entries] == [("elsewhere", ["a", "b"])]
    from afs.registry.experiments import list_experiments  # in-process: saves a subprocess

    in_project = list_experiments(f"sqlite:///{project['root'] / 'mlflow.db'}")
    assert "elsewhere" not in {entry.name for entry in in_project}


def test_an_empty_registry_says_so(tmp_path):
    result = run_afs(tmp_path, "training", "registry-list")
    assert summary_line(result) == (f"registry-list: no experiments registered in "
                                    f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}")


def test_info_shows_lineage_that_training_and_deployment_runs_left(tmp_path):
    """A training run tagged afs.registry.name/role and a GGUF recorded with record_lineage
    (what the training and deployment steps do) appear under lineage in registry-info."""
    from mlflow.tracking import MlflowClient

    from afs.registry.experiments import create_experiment, record_lineage

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    dataset = tmp_path / "train.jsonl"
    dataset.write_text('{"instruction": "a", "output": "b"}\n')
    create_experiment("tiny-lora", "tiny", dataset, tracking_uri=uri)
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("afs", artifact_location=(tmp_path / "art").as_uri())
    run = client.create_run(experiment, tags={"afs.registry.name": "tiny-lora",
                                              "afs.registry.role": "adapter",
                                              "afs.lineage.adapter": "data/06_models/lora"})
    client.log_metric(run.info.run_id, "val_perplexity", 3.5)
    client.log_text(run.info.run_id, "{}", "adapter/adapter_config.json")
    client.set_terminated(run.info.run_id, "FINISHED")
    record_lineage("tiny-lora", uri, gguf="data/06_models/tiny.Q8_0.gguf")

    result = run_afs(tmp_path, "training", "registry-info", "tiny-lora", "--tracking-uri", uri)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert f"  adapter  data/06_models/lora (run {run.info.run_id})" in text
    assert "  gguf     data/06_models/tiny.Q8_0.gguf" in text
    assert f"adapter run {run.info.run_id}: FINISHED" in text
    assert "    val_perplexity = 3.5" in text and "    adapter/adapter_config.json" in text


@pytest.mark.parametrize("uri, fragment", [("foo://x", "unsupported URI 'foo://x'"),
                                           ("./mlruns", "filesystem tracking backend")])
def test_a_store_mlflow_refuses_is_one_error_line(tmp_path, uri, fragment):
    result = run_afs(tmp_path, "training", "registry-list", "--tracking-uri", uri)
    assert_user_error(result, f"MLflow store {uri}:", fragment)
