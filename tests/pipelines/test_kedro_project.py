"""The Kedro project as a user drives it: `kedro run` (every stage: data generation, quality
scoring, curation, LoRA training on the tiny base, GGUF deployment) on the shipped data with
MLflow tracking,
`--pipelines=curation` alone, `kedro viz build` (and a screenshot where Chromium is installed),
the notebook, and the pipeline registry. All run in a copy of the project under tmp_path."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# the curation stage's nodes as Kedro-Viz names them (Kedro: "curation.<name>")
CURATION_NODES = {
    "build_rehearsal_buffer", "rebalance_new_data", "mix_rehearsal", "split_samples",
    "export_alpaca", "export_sharegpt", "export_openai", "collect_rejects", "report_curation",
    "log_curation_metrics", "plot_domain_mix",
}
PIPELINES = {"data_generation", "quality_scoring", "curation", "training", "deployment"}


def project_env() -> dict[str, str]:
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1",
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHON": sys.executable}
    for name in ("KEDRO_ENV", "MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID"):
        env.pop(name, None)  # the project's own conf decides
    return env


def run_in(project: Path, *command: str, timeout: int = 180) -> subprocess.CompletedProcess:
    """Run a command in ``project``; a failure shows the end of its output."""
    result = subprocess.run(command, cwd=project, env=project_env(), capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def kedro(*args: str) -> list[str]:
    script = BIN / "kedro"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "kedro", *args]


def copy_project(root: Path) -> Path:
    """A fresh copy of the project as a user gets it (conf with its logging, shipped raw data,
    notebooks, scripts, an empty logs folder, nothing run yet). The `afs` package comes from
    the installed (editable) source."""
    shutil.copytree(PROJECT_ROOT / "conf" / "base", root / "conf" / "base")
    (root / "conf" / "local").mkdir()
    shutil.copy2(PROJECT_ROOT / "conf" / "logging.yml", root / "conf")
    (root / "logs").mkdir()  # shipped empty (logs/.gitkeep): conf/logging.yml's log file
    shutil.copytree(PROJECT_ROOT / "data" / "01_raw", root / "data" / "01_raw")
    shutil.copytree(PROJECT_ROOT / "notebooks", root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (root / "scripts").mkdir()
    shutil.copy2(PROJECT_ROOT / "scripts" / "viz_screenshot.sh", root / "scripts")
    shutil.copy2(PROJECT_ROOT / "pyproject.toml", root)
    (root / "src").mkdir()  # Kedro wants the source folder to exist
    return root


def run_statuses(project: Path) -> list[str]:
    """The status of each MLflow run in the project's store (none before the first run)."""
    database = project / "mlflow.db"
    if not database.exists():
        return []
    with sqlite3.connect(database) as connection:
        try:
            return [row[0] for row in connection.execute("SELECT status FROM runs")]
        except sqlite3.OperationalError:  # the schema is not created yet
            return []


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the project after a plain `kedro run` (the default pipeline; two to three
    minutes on 2 CPU cores, most of it building the tiny base model and training)."""
    root = copy_project(tmp_path_factory.mktemp("project"))
    run_in(root, *kedro("run"), timeout=600)
    return root


def count_lines(path: Path) -> int:
    return len(path.read_bytes().splitlines())


def read_report(project: Path, name: str, folder: str = "08_reporting") -> dict:
    return json.loads((project / "data" / folder / f"{name}.json").read_text())


def read_training_report(project: Path) -> dict:
    """The LoRA run's record, beside the adapter it describes (deployment reads it)."""
    return read_report(project, "training_report", "06_models")


def test_kedro_run_chains_generation_scoring_curation_and_training(project):
    data = project / "data"
    generation = read_report(project, "generation_report")
    quality = read_report(project, "quality_report")
    assert count_lines(data / "03_primary" / "raw_samples.jsonl") == generation["total"]
    assert quality["input"] == generation["total"]
    filtered = count_lines(data / "04_feature" / "filtered.jsonl")
    assert filtered == quality["kept"] > 0
    # the shipped eval suite overlaps a few generated samples on purpose: they are dropped
    assert quality["rejects"]["step"]["decontamination"] > 0
    curation = read_report(project, "curation_report")
    assert curation["input"] == {"v1_training": count_lines(data / "01_raw" / "v1_training.jsonl"),
                                 "new_data": filtered}
    # a source too scarce for its weight is taken whole and caps no other source; the others
    # follow the weights among themselves; so the mix is never smaller than the strict one,
    # which the scarcest source sizes
    weights, plan = curation_weights(project), curation["rebalance"]
    share = {source: weight / sum(weights.values()) for source, weight in weights.items()}
    available = Counter(orjson.loads(line).get("_metadata", {}).get("origin") for line in
                        (data / "04_feature" / "filtered.jsonl").read_bytes().splitlines())
    assert all(plan["available"][source] <= available[source] for source in weights)
    assert sum(plan["taken"].values()) == curation["steps"]["rebalanced"]
    for source in plan["scarce"]:
        assert plan["taken"][source] == plan["available"][source]
    rest = {source: share[source] for source in weights if source not in plan["scarce"]}
    rest_rows = sum(plan["taken"][source] for source in rest)
    for source, weight in rest.items():
        assert abs(plan["taken"][source] - weight / sum(rest.values()) * rest_rows) <= 1
    strict = min(plan["available"][source] / share[source] for source in weights)
    assert curation["steps"]["rebalanced"] >= strict - len(weights)
    # a duplicate cluster never reaches two splits
    splits_of: dict[str, set[str]] = {}
    for split in ("train", "val", "test"):
        path = data / "05_model_input" / "samples" / f"{split}.jsonl"
        for line in path.read_bytes().splitlines():
            cluster = orjson.loads(line).get("_metadata", {}).get("dup_cluster")
            if cluster is not None:
                splits_of.setdefault(cluster, set()).add(split)
    assert all(len(splits) == 1 for splits in splits_of.values()), splits_of


def curation_weights(project: Path) -> dict[str, float]:
    import yaml

    parameters = yaml.safe_load((project / "conf" / "base" / "parameters_curation.yml").read_text())
    return parameters["curation"]["rebalance"]["weights"]


def test_curation_alone_asks_for_quality_scoring_first_then_reruns_the_same(project, tmp_path):
    root = copy_project(tmp_path / "project")
    failed = subprocess.run(kedro("run", "--pipelines=curation"), cwd=root, env=project_env(),
                            capture_output=True, text=True, timeout=180)
    assert failed.returncode == 1
    assert (failed.stdout + failed.stderr).strip() == (
        "error: the curation pipeline needs data/04_feature/filtered.jsonl (made by `kedro run "
        "--pipelines=quality_scoring`); run `kedro run --pipelines=data_generation,"
        "quality_scoring` first, or `kedro run` for every stage in order")
    filtered = Path("data") / "04_feature" / "filtered.jsonl"
    (root / filtered).parent.mkdir()
    shutil.copy2(project / filtered, root / filtered)
    run_in(root, *kedro("run", "--pipelines=curation"))
    for split in ("train", "val", "test"):
        path = Path("data") / "05_model_input" / "samples" / f"{split}.jsonl"
        assert (root / path).read_bytes() == (project / path).read_bytes()


def test_kedro_run_writes_splits_exports_rejects_and_report(project):
    data = project / "data"
    report = read_report(project, "curation_report")
    assert report["all_rows_accounted_for"] is True
    for split, rows in report["split"].items():
        assert rows > 0
        assert count_lines(data / "05_model_input" / "samples" / f"{split}.jsonl") == rows
        for fmt in ("alpaca", "sharegpt", "openai"):
            assert count_lines(data / "05_model_input" / fmt / f"{split}.jsonl") == rows
    rejects = [orjson.loads(line) for line in
               (data / "08_reporting" / "curation_rejects.jsonl").read_bytes().splitlines()]
    assert len(rejects) == report["rejects"]["total"] > 0
    assert all(record["reject_step"] and record["reject_reason"] for record in rejects)
    assert abs(report["rehearsal_share"] - 0.3) < 0.01
    assert (data / "08_reporting" / "domain_mix.png").stat().st_size > 10_000


def test_kedro_run_logs_parameters_and_row_counts_to_mlflow(project):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("afs")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1
    run = runs[0]
    assert run.info.status == "FINISHED"
    report = read_report(project, "curation_report")
    metrics = run.data.metrics
    assert metrics["generated.total"] == read_report(project, "generation_report")["total"]
    assert metrics["rows.rehearsal_selected"] == report["steps"]["rehearsal_selected"]
    assert metrics["rows.split.train"] == report["split"]["train"]
    assert metrics["rows.domain.train.oracle"] == report["domain"]["train"]["oracle"]
    assert metrics["rows.rejects.total"] == report["rejects"]["total"]
    assert run.data.params["curation.mix.rehearsal_ratio"] == "0.3"
    # the LoRA trainer logged into the same run, which is tagged with the adapter it wrote
    training = read_training_report(project)
    assert run.data.params["training.lora.r"] == run.data.params["lora.r"] == "8"
    assert run.data.params["lora.rows_train"] == str(report["split"]["train"])
    assert metrics["training.val_loss"] == metrics["lora.best_val_loss"] \
        == training["metrics"]["val_loss"]
    assert metrics["training.rows.val"] == report["split"]["val"]
    adapter = project / "data" / "06_models" / "lora_adapter"
    assert run.data.tags["afs.lineage.adapter"] == str(adapter.resolve())
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "adapter")}
    assert "adapter/adapter_model.safetensors" in artifacts


def test_kedro_run_trains_a_lora_adapter_on_the_curated_splits(project):
    data = project / "data"
    adapter = data / "06_models" / "lora_adapter"
    for name in ("adapter_config.json", "adapter_model.safetensors", "training.json"):
        assert (adapter / name).stat().st_size > 0
    assert (project / "models" / "tiny-base" / "config.json").is_file()
    training = read_training_report(project)
    curation = read_report(project, "curation_report")
    assert training["rows"] == {"train": curation["split"]["train"],
                                "val": curation["split"]["val"]}
    assert training["adapter"] == str(adapter.resolve())
    assert len(training["history"]) >= 1 and training["metrics"]["val_perplexity"] > 1
    # the best epoch's adapter is the one kept
    assert training["metrics"]["val_loss"] <= training["history"][0]["val_loss"]


def test_kedro_run_deploys_a_gguf_that_answers_and_registers_it(project):
    from llama_cpp import Llama
    from mlflow.tracking import MlflowClient

    gguf = project / "data" / "06_models" / "model.gguf"
    llm = Llama(model_path=str(gguf), n_ctx=128, verbose=False)
    assert llm.metadata["general.architecture"] == "qwen2"
    smoke = read_report(project, "smoke_eval_report")
    summary = smoke["models"]["smoke"]["summary"]
    assert smoke["models"]["smoke"]["status"] == "ok"
    assert summary["answered"] == smoke["suite"]["items"] == 8 and summary["errors"] == 0
    html = (project / "data" / "08_reporting" / "smoke_eval_report.html").read_text()
    assert '<img src="data:image/png;base64,' in html
    registered = read_report(project, "registered_model")
    client = MlflowClient(tracking_uri=f"sqlite:///{project / 'mlflow.db'}")
    version = client.get_model_version(registered["name"], registered["version"])
    assert version.tags["quantization"] == "Q8_0"
    assert version.tags["dataset_hash"] == read_training_report(project)["dataset_hash"]
    assert version.source == f"runs:/{version.run_id}/gguf/model.gguf"
    run = client.get_run(version.run_id)
    assert run.data.tags["afs.lineage.gguf"] == str(gguf.resolve())
    assert run.data.tags["afs.lineage.registered_model"] == f"{registered['name']}/1"
    assert run.data.metrics["deployment.eval.smoke.answered"] == 8
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "gguf")}
    assert artifacts == {"gguf/model.gguf"}


def _screenshot_shows_a_graph(path: Path) -> None:
    """The flowchart area (right of the side panels) is not an empty background."""
    import numpy as np
    from matplotlib.image import imread

    pixels = imread(path)[..., :3]
    assert pixels.shape[:2] == (1000, 1600)
    flowchart = pixels[:, 800:1500].reshape(-1, 3)
    background = np.median(flowchart, axis=0)
    drawn = (np.abs(flowchart - background).sum(axis=1) > 0.1).mean()
    assert drawn > 0.01, f"only {drawn:.2%} of the flowchart area differs from the background"


def test_kedro_viz_build_renders_the_curation_pipeline(project):
    if shutil.which("chromium"):
        shot = project / "viz.png"
        run_in(project, "bash", "scripts/viz_screenshot.sh", str(shot), "curation")
        _screenshot_shows_a_graph(shot)
    else:  # the build alone; the screenshot needs Chromium (apt-get install -y chromium)
        run_in(project, *kedro("viz", "build"))
    curation = json.loads((project / "build" / "api" / "pipelines" / "curation").read_text())
    tasks = {node["name"] for node in curation["nodes"] if node["type"] == "task"}
    assert tasks == CURATION_NODES
    main = json.loads((project / "build" / "api" / "main").read_text())
    assert {pipeline["id"] for pipeline in main["pipelines"]} == PIPELINES | {"__default__"}
    # the default view: one collapsible box per stage, in layer bands Kedro-Viz could order
    boxes = {node["name"] for node in main["nodes"] if node["type"] == "modularPipeline"}
    assert boxes == PIPELINES
    assert main["layers"] == ["raw", "intermediate", "primary", "feature", "model_input",
                              "models", "reporting"]


def test_curation_notebook_runs_every_stage_on_a_fresh_project(tmp_path, monkeypatch):
    """Opened before any run, the notebook runs the stages up to curation itself (from the
    notebooks/ folder, where relative parameter paths would miss the shipped data), not
    training."""
    import nbformat
    from nbclient import NotebookClient

    for name, value in project_env().items():
        monkeypatch.setenv(name, value)
    project = copy_project(tmp_path / "project")
    notebook = nbformat.read(project / "notebooks" / "curation.ipynb", as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(project / "notebooks")}})
    client.execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    assert any("image/png" in output.get("data", {}) for output in outputs)
    assert (project / "data" / "05_model_input" / "samples" / "train.jsonl").is_file()
    assert not (project / "data" / "06_models" / "lora_adapter").exists()
    # its MLflow runs are in the project's store, not in a second one under notebooks/
    assert not [path for path in (project / "notebooks").iterdir() if "mlflow" in path.name
                or path.name == "mlruns"]
    assert run_statuses(project) == ["FINISHED"]
    # results and AFS's warnings only: no log lines, no library's warning
    text = "\n".join(output.get("text", "") + output.get("data", {}).get("text/plain", "")
                     for output in outputs)
    assert not [line for line in text.splitlines()
                if "INFO" in line or "Warning:" in line], text


def test_registry_has_the_five_pipelines_and_imports_no_torch():
    code = (
        "import sys\n"
        "from kedro.framework.startup import bootstrap_project\n"
        "bootstrap_project(sys.argv[1])\n"
        "from kedro.framework.project import pipelines\n"
        "names = sorted(pipelines)\n"
        "default = sorted(n.name for n in pipelines['__default__'].nodes)\n"
        "stages = ('data_generation', 'quality_scoring', 'curation', 'training', 'deployment')\n"
        "chained = sorted(n.name for s in stages for n in pipelines[s].nodes)\n"
        "print(names, default == chained, 'torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(PROJECT_ROOT)], env=project_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    expected = sorted(PIPELINES | {"__default__"})
    assert result.stdout.strip().splitlines()[-1] == f"{expected} True False"


def test_kedro_run_data_generation_on_the_shipped_tree(tmp_path):
    """`kedro run --pipelines=data_generation` offline on the shipped asm tree and .context:
    a table per source, raw_samples, the report, and per-source counts in MLflow."""
    from mlflow.tracking import MlflowClient

    root = copy_project(tmp_path / "project")
    run_in(root, *kedro("run", "--pipelines=data_generation"))
    data = root / "data"
    report = json.loads((data / "08_reporting" / "generation_report.json").read_text())
    tables = {p.stem for p in (data / "02_intermediate" / "generated").glob("*.parquet")}
    assert tables == set(report["sources"]) == {"oracle", "knowledge", "memory", "history"}
    assert count_lines(data / "03_primary" / "raw_samples.jsonl") == report["total"] > 1000
    client = MlflowClient(tracking_uri=f"sqlite:///{root / 'mlflow.db'}")
    run = client.search_runs([client.get_experiment_by_name("afs").experiment_id])[0]
    assert run.data.metrics["generated.total"] == report["total"]
    assert run.data.metrics["generated.oracle"] == report["sources"]["oracle"]["samples"]
