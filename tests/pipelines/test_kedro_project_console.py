"""What a `kedro run` shows: a short console with no warning on a clean run (Kedro's
per-dataset lines and the libraries' output go to logs/afs.log), the catalog's own
configuration warning-free, and AFS's warnings as one line each."""

from __future__ import annotations

import logging
import subprocess
import warnings

from afs.errors import AfsWarning

from .test_kedro_project import PROJECT_ROOT, copy_project, kedro, project_env


def capture(*names: str) -> tuple[list[logging.LogRecord], logging.Handler]:
    """A handler collecting what the loggers ``names`` log, whatever else handles it."""
    seen: list[logging.LogRecord] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = seen.append
    for name in names:
        logging.getLogger(name).addHandler(handler)
    return seen, handler


def test_a_clean_kedro_run_prints_no_warning_and_a_line_per_node(tmp_path):
    project = copy_project(tmp_path / "project")
    env = {**project_env(), "COLUMNS": "80"}

    result = subprocess.run(kedro("run", "--pipelines=data_generation"), cwd=project, env=env,
                            capture_output=True, text=True, timeout=300)

    lines = (result.stdout + result.stderr).splitlines()
    assert result.returncode == 0, "\n".join(lines[-60:])
    assert not [line for line in lines if "warning" in line.lower()], "\n".join(lines)
    nodes = [line for line in lines if "] data_generation." in line]
    assert len(nodes) == 3, "\n".join(lines)  # one line as each node starts
    assert len(lines) <= 20, "\n".join(lines)  # Kedro alone printed 57 for this pipeline
    log = (project / "logs" / "afs.log").read_text()
    assert "Loading data from" in log  # Kedro's per-dataset lines are kept, in the log


def test_every_dataset_of_every_stage_resolves_without_a_kedro_warning():
    """No catalog entry makes Kedro warn (a catch-all pattern warned once per dataset it
    resolved: six times on every full run)."""
    from kedro.config import OmegaConfigLoader
    from kedro.io import DataCatalog

    from afs.hooks import stage_pipelines

    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base",
                               default_run_env="local")
    catalog = DataCatalog.from_config(loader["catalog"])
    # first: importing the pipelines configures logging, which drops a handler added before
    names = {name for pipeline in stage_pipelines().values()
             for name in pipeline.datasets() if not name.startswith("params:")}
    seen, handler = capture("kedro.io")
    try:
        for name in sorted(names - {"parameters"}):
            catalog.get(name)
    finally:
        logging.getLogger("kedro.io").removeHandler(handler)
    assert [record.getMessage() for record in seen if record.levelno >= logging.WARNING] == []


def test_an_afs_warning_is_one_line_of_the_afs_log_a_library_warning_goes_to_py_warnings():
    from afs.hooks import log_warnings

    seen, handler = capture("afs", "py.warnings")
    try:
        with warnings.catch_warnings():  # restores showwarning too
            log_warnings()
            warnings.simplefilter("always")
            warnings.warn("rebalance: group 'memory' is\n   scarce", AfsWarning, stacklevel=1)
            warnings.warn("a library's deprecation", FutureWarning, stacklevel=1)
    finally:
        for name in ("afs", "py.warnings"):
            logging.getLogger(name).removeHandler(handler)
    [ours, library] = seen
    assert (ours.name, ours.levelno, ours.getMessage()) == (
        "afs", logging.WARNING, "rebalance: group 'memory' is scarce")
    assert library.name == "py.warnings"
    assert "FutureWarning: a library's deprecation" in library.getMessage()
