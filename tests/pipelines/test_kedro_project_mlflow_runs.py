"""The MLflow run of a `kedro run`, read back from the project's real SQLite store: named after
what ran and when (kedro-mlflow named every run `__default__` or after its pipeline), holding
the reports the run wrote; and the console of the stages up to curation on the shipped data,
which printed 4 warnings that needed no action (now notes)."""

from __future__ import annotations

import re
import subprocess
import time

import pytest

from afs.hooks import mlflow_run_name

from .test_kedro_project import copy_project, kedro, project_env

UP_TO_CURATION = "data_generation,quality_scoring,curation"
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d"


@pytest.fixture(scope="module")
def curated(tmp_path_factory):
    """A fresh copy of the project after `kedro run --pipelines=<the first three stages>`
    (about a minute on 2 busy cores): (project, the console's lines)."""
    project = copy_project(tmp_path_factory.mktemp("project"))
    result = subprocess.run(kedro("run", f"--pipelines={UP_TO_CURATION}"), cwd=project,
                            env={**project_env(), "COLUMNS": "80"}, capture_output=True,
                            text=True, timeout=600)
    lines = (result.stdout + result.stderr).splitlines()
    assert result.returncode == 0, "\n".join(lines[-60:])
    return project, lines


def only_run(project):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{project / 'mlflow.db'}")
    [run] = client.search_runs([client.get_experiment_by_name("afs").experiment_id])
    return client, run


def test_the_run_is_named_after_what_ran_and_when(curated):
    project, _ = curated
    _, run = only_run(project)
    assert re.fullmatch(rf"{re.escape(UP_TO_CURATION.replace(',', '+'))} {STAMP}",
                        run.info.run_name), run.info.run_name


def test_the_run_keeps_the_reports_it_wrote(curated):
    project, _ = curated
    client, run = only_run(project)
    reports = {artifact.path for artifact in client.list_artifacts(run.info.run_id, "reports")}
    assert {"reports/curation_report.json", "reports/domain_mix.png",
            "reports/generation_report.json", "reports/quality_report.json"} <= reports
    kept = client.download_artifacts(run.info.run_id, "reports/curation_report.json",
                                     str(project / "downloaded"))
    written = project / "data" / "08_reporting" / "curation_report.json"
    assert open(kept, "rb").read() == written.read_bytes()
    # the HTML report is logged by its own MlflowArtifactDataset, once
    assert "reports/quality_report.html" not in reports


def test_a_clean_run_of_the_shipped_data_prints_no_warning(curated):
    """Curation's notes on the shipped data (scarce sources taken whole, the source that sizes
    the mix, a buffer the quality threshold keeps under top_ratio) are INFO lines."""
    project, lines = curated
    assert not [line for line in lines if "warning" in line.lower()], "\n".join(lines)
    assert any("so it is scarce" in line for line in lines)  # still said, as information
    log = (project / "logs" / "afs.log").read_text()
    assert not re.findall(r"^\S+ \S+ WARNING +afs", log, flags=re.MULTILINE)
    assert re.search(r"^\S+ \S+ INFO +afs\.curation\.rebalance: rebalance: group ", log,
                     flags=re.MULTILINE)


def test_run_names_say_what_ran_and_when():
    started = time.mktime((2026, 12, 8, 1, 22, 30, 0, 0, -1))
    assert mlflow_run_name({"pipeline_names": None}, started) == "kedro run 2026-12-08 01:22"
    assert mlflow_run_name({"pipeline_names": ["curation"]}, started) == \
        "curation 2026-12-08 01:22"
    assert mlflow_run_name({"pipeline_names": ["training"], "node_names": ["x"]}, started) == \
        "training (part) 2026-12-08 01:22"
    # Kedro hands --pipelines over as a set: the name lists them in the stages' order
    assert mlflow_run_name({"pipeline_names": ["curation", "data_generation"]}, started) == \
        "data_generation+curation 2026-12-08 01:22"
