"""`kedro run` is safe to start twice and to interrupt: a second run of the same project stops
with one line naming the run that holds the lock (and touches nothing), and SIGTERM ends the
MLflow run as KILLED instead of leaving it RUNNING forever."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .test_kedro_project import copy_project, kedro, project_env, run_statuses

HOLD_LOCK = """
import sys, time
from afs.hooks import LOCK_NAME, RunLock
RunLock(f"data/{LOCK_NAME}").acquire("kedro run --pipelines=curation (the first run)")
print("held", flush=True)
time.sleep(120)
"""


def test_a_second_run_stops_with_one_line_naming_the_first(tmp_path):
    project = copy_project(tmp_path / "project")
    first = subprocess.Popen([sys.executable, "-c", HOLD_LOCK], cwd=project,
                             stdout=subprocess.PIPE, text=True, env=project_env())
    try:
        assert first.stdout.readline().strip() == "held"
        before = sorted(p.relative_to(project) for p in (project / "data").rglob("*"))

        second = subprocess.run(kedro("run", "--pipelines=data_generation"), cwd=project,
                                env=project_env(), capture_output=True, text=True, timeout=180)

        assert second.returncode == 1
        errors = [line for line in second.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, second.stderr[-3000:]
        assert f"pid {first.pid}" in errors[0] and "the first run" in errors[0]
        assert "Traceback" not in second.stderr
        assert sorted(p.relative_to(project) for p in (project / "data").rglob("*")) == before
        assert run_statuses(project) == []  # no MLflow run was started (and left RUNNING)
    finally:
        first.kill()
        first.wait()


# `kedro run --pipelines=data_generation` with its second node held open, so the signal can be
# sent while a node runs (the whole pipeline takes well under a second: a signal sent after a
# fixed delay could arrive after the run had FINISHED).
HELD_RUN = """
import sys, time
from pathlib import Path
import afs.pipelines.data_generation.nodes as nodes
combine = nodes.combine_generated
def held_combine(*args, **kwargs):
    Path("in_node").touch()
    time.sleep(120)
    return combine(*args, **kwargs)
nodes.combine_generated = held_combine
from kedro.framework.cli import main
sys.argv = ["kedro", "run", "--pipelines=data_generation"]
main()
"""


# The signal lands right after MLflow created the run (kedro-mlflow is still writing params, so
# a store write from the handler would meet "database is locked") or inside a node.
@pytest.mark.parametrize("moment", ["run_created", "in_node"])
def test_sigterm_ends_the_mlflow_run_as_killed(tmp_path, moment):
    project = copy_project(tmp_path / "project")
    run = subprocess.Popen([sys.executable, "-c", HELD_RUN], cwd=project, env=project_env(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (run_statuses(project) == ["RUNNING"] if moment == "run_created"
                   else (project / "in_node").exists()):
            assert run.poll() is None, f"the run ended before the signal:\n{run.stderr.read()}"
            assert time.monotonic() < deadline, f"no {moment} within 120 s"
            time.sleep(0.01)

        run.send_signal(signal.SIGTERM)
        run.wait(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()

    stderr = run.stderr.read()
    assert run.returncode != 0, stderr[-3000:]
    assert run_statuses(project) == ["KILLED"], stderr[-3000:]
    # the lock went with the run: the next one may start
    from afs.hooks import LOCK_NAME, RunLock
    lock = RunLock(project / "data" / LOCK_NAME)
    lock.acquire("test")
    lock.release()


def test_a_run_stopped_in_a_notebook_is_ended_as_killed_when_the_next_run_starts(tmp_path,
                                                                                monkeypatch):
    """In a process that lives on after the interrupt (a notebook), the stopped run ends as
    KILLED at the next run's start, not left active to clash with it."""
    import mlflow

    from afs.hooks import RunGuardHooks

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    hooks = RunGuardHooks()
    params = {"project_path": str(tmp_path)}
    hooks.before_pipeline_run(params)
    run_id = mlflow.start_run().info.run_id
    try:
        with pytest.raises(KeyboardInterrupt):
            hooks._on_stop_signal(signal.SIGINT, None)
        assert mlflow.get_run(run_id).info.status == "RUNNING"  # the handler wrote nothing

        hooks.before_pipeline_run(params)
        hooks.after_pipeline_run()
        assert mlflow.active_run() is None
        assert mlflow.get_run(run_id).info.status == "KILLED"
    finally:
        while mlflow.active_run() is not None:
            mlflow.end_run()
