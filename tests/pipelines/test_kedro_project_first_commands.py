"""A user's first commands on a fresh copy of the project, run as the README writes them:
a stage run alone before its upstream stages stops at once with one line; `.venv/bin/kedro
mlflow ui` and `.venv/bin/kedro ipython` work without an activated environment; MLflow
keeps one store per project wherever Kedro is started from."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from afs.cli.group import UserError
from afs.hooks import check_upstream_inputs, dataset_file, stage_pipelines

from .test_kedro_project import BIN, copy_project, kedro, project_env, run_statuses


def files_under(folder: Path) -> list[Path]:
    return sorted(path.relative_to(folder) for path in folder.rglob("*"))


def env_without_the_venv() -> dict[str, str]:
    """The environment of a shell where the project's venv is not activated."""
    env = project_env()
    env["PATH"] = os.pathsep.join(part for part in env["PATH"].split(os.pathsep)
                                  if part and Path(part) != BIN)
    env.pop("VIRTUAL_ENV", None)
    return env


# (the command's stage option, the file the error must name, the stages to run first)
STAGES_ALONE = [
    ("--pipeline=curation", "data/04_feature/filtered.jsonl", "data_generation,quality_scoring"),
    ("--pipelines=curation", "data/04_feature/filtered.jsonl", "data_generation,quality_scoring"),
    ("--pipelines=quality_scoring", "data/03_primary/raw_samples.jsonl", "data_generation"),
    ("--pipelines=training", "data/05_model_input/openai/train.jsonl",
     "data_generation,quality_scoring,curation"),
    ("--pipelines=deployment", "data/06_models/lora_adapter",
     "data_generation,quality_scoring,curation,training"),
]


@pytest.mark.parametrize(("option", "needed", "first"), STAGES_ALONE)
def test_a_stage_run_before_its_upstream_stages_stops_with_one_line(tmp_path, option, needed,
                                                                     first):
    """Before any node runs: one `error:` line naming the missing file, the stage that makes
    it and the stages to run first; exit 1, no traceback, no file under data/, no MLflow run."""
    project = copy_project(tmp_path / "project")
    before = files_under(project / "data")

    result = subprocess.run(kedro("run", option), cwd=project, env=project_env(),
                            capture_output=True, text=True, timeout=180)

    output = (result.stdout + result.stderr).splitlines()
    assert result.returncode == 1, "\n".join(output[-40:])
    assert output == [line for line in output if line.startswith("error:")], "\n".join(output)
    [error] = output
    stage = option.split("=")[1]
    assert error.startswith(f"error: the {stage} pipeline needs {needed}")
    assert f"run `kedro run --pipelines={first}` first" in error
    assert files_under(project / "data") == before
    assert run_statuses(project) == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_kedro_mlflow_ui_serves_the_project_store_without_an_activated_venv(tmp_path):
    """`.venv/bin/kedro mlflow ui` as the README writes it: kedro-mlflow starts `mlflow` by
    name, which a shell without the venv activated did not find (FileNotFoundError)."""
    project = copy_project(tmp_path / "project")
    port = free_port()
    ui = subprocess.Popen(kedro("mlflow", "ui", "--port", str(port)), cwd=project,
                          env=env_without_the_venv(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert ui.poll() is None, f"kedro mlflow ui ended:\n{ui.stdout.read()[-3000:]}"
            assert time.monotonic() < deadline, "the MLflow UI did not answer within 240 s"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    assert page.status == 200
                    break
            except OSError:
                time.sleep(1)
    finally:
        if ui.poll() is None:
            os.killpg(ui.pid, signal.SIGTERM)
            try:
                ui.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(ui.pid, signal.SIGKILL)
                ui.wait()
    assert (project / "mlflow.db").is_file()  # the project's store, the one `kedro run` uses


def test_kedro_ipython_opens_the_environments_ipython_with_the_catalog(tmp_path):
    """`.venv/bin/kedro ipython` without the venv activated: the environment's IPython (not
    one found first on PATH) with the project's `catalog` defined."""
    project = copy_project(tmp_path / "project")
    code = ("from kedro.io import DataCatalog; "
            "print('catalog:', isinstance(catalog, DataCatalog), catalog.exists('v1_training'))")
    result = subprocess.run(kedro("ipython", "--no-banner", "-c", code), cwd=project,
                            env=env_without_the_venv(), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "catalog: True True" in result.stdout, result.stdout[-3000:]


START_FROM_NOTEBOOKS = """
import sys
from pathlib import Path
import mlflow
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

project = Path(sys.argv[1])
bootstrap_project(project)
with KedroSession.create(project_path=project) as session:
    session.load_context()
    experiment = mlflow.get_experiment_by_name("afs")
    print(mlflow.get_tracking_uri())
    print(experiment.artifact_location)
"""


def test_mlflow_keeps_one_store_per_project_wherever_kedro_starts(tmp_path):
    """A session started in notebooks/ (as the notebook's kernel is) uses the project's
    mlflow.db and mlruns/, and makes no store of its own there."""
    project = copy_project(tmp_path / "project")
    notebooks = project / "notebooks"
    before = files_under(notebooks)

    result = subprocess.run([sys.executable, "-c", START_FROM_NOTEBOOKS, str(project)],
                            cwd=notebooks, env=project_env(), capture_output=True, text=True,
                            timeout=180)

    assert result.returncode == 0, result.stderr[-3000:]
    tracking_uri, artifact_location = result.stdout.splitlines()[-2:]
    assert tracking_uri == f"sqlite:///{project.resolve() / 'mlflow.db'}"
    assert artifact_location == (project.resolve() / "mlruns").as_uri()
    assert files_under(notebooks) == before
    with sqlite3.connect(project / "mlflow.db") as store:
        names = [row[0] for row in store.execute("SELECT name FROM experiments")]
    assert "afs" in names


def test_only_a_relative_sqlite_file_is_made_the_projects(tmp_path):
    from afs.hooks import project_store_uri

    assert project_store_uri("sqlite:///mlflow.db", tmp_path) == (
        f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}")
    assert project_store_uri("sqlite:///db/runs.db", tmp_path) == (
        f"sqlite:///{tmp_path.resolve() / 'db' / 'runs.db'}")
    for kept in ("sqlite:////srv/mlflow.db", "sqlite:///:memory:", "http://127.0.0.1:5000",
                 "databricks", None):
        assert project_store_uri(kept, tmp_path) == kept


def test_a_run_started_past_an_in_memory_hand_over_names_the_node_to_start_at(tmp_path):
    """`--from-nodes=curation.report_curation` on a project whose files all exist: the only
    thing missing is a dataset another node hands over in memory within one run, so no
    stage run first can make it; the error names that node instead of a stage to run."""
    project = copy_project(tmp_path / "project")
    pipeline = stage_pipelines()["curation"].from_nodes("curation.report_curation")
    catalog = project_catalog(project)
    for name in pipeline.inputs():  # every file the nodes read, made (empty) as a run would
        location = dataset_file(catalog, name)
        if location and not name.startswith("params:"):
            path = project / location
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.suffix:
                path.mkdir(exist_ok=True)
            elif not path.exists():
                path.write_text("")

    with pytest.raises(UserError) as error:
        check_upstream_inputs({"pipeline_names": ["curation"]}, pipeline, catalog, project)

    message = str(error.value)
    assert message.startswith("the run needs rebalance_summary, which curation.")
    assert "hands over in memory within one run" in message
    assert "--pipelines=" not in message  # no earlier stage can make it


def project_catalog(project: Path):
    from kedro.config import OmegaConfigLoader
    from kedro.io import DataCatalog

    loader = OmegaConfigLoader(str(project / "conf"), base_env="base", default_run_env="local")
    config = loader["catalog"]
    for entry in config.values():  # the catalog's relative paths are the project's
        inner = entry.get("dataset", entry) if isinstance(entry, dict) else {}
        for holder in (entry, inner):
            if isinstance(holder, dict) and "filepath" in holder:
                holder["filepath"] = str(project / holder["filepath"])
    return DataCatalog.from_config(config)
