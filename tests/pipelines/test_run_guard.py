"""`kedro run` is safe to start twice and to interrupt: a second run of the same project stops
with one line naming the run that holds the lock (and touches nothing), and SIGTERM ends the
MLflow run as KILLED instead of leaving it RUNNING forever."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from .test_kedro_project import copy_project, kedro, project_env

HOLD_LOCK = """
import sys, time
from afs.hooks import LOCK_NAME, RunLock
RunLock(f"data/{LOCK_NAME}").acquire("kedro run --pipelines=curation (the first run)")
print("held", flush=True)
time.sleep(120)
"""


def run_statuses(project: Path) -> list[str]:
    database = project / "mlflow.db"
    if not database.exists():
        return []
    with sqlite3.connect(database) as connection:
        try:
            return [row[0] for row in connection.execute("SELECT status FROM runs")]
        except sqlite3.OperationalError:  # the schema is not created yet
            return []


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


def test_sigterm_ends_the_mlflow_run_as_killed(tmp_path):
    project = copy_project(tmp_path / "project")
    run = subprocess.Popen(kedro("run", "--pipelines=data_generation"), cwd=project,
                           env=project_env(), stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while run_statuses(project) != ["RUNNING"]:
            assert run.poll() is None, f"the run ended before the signal:\n{run.stderr.read()}"
            assert time.monotonic() < deadline, "no MLflow run started within 120 s"
            time.sleep(0.05)

        run.send_signal(signal.SIGTERM)
        run.wait(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()

    assert run.returncode != 0
    assert run_statuses(project) == ["KILLED"]
    # the lock went with the run: the next one may start
    from afs.hooks import LOCK_NAME, RunLock
    lock = RunLock(project / "data" / LOCK_NAME)
    lock.acquire("test")
    lock.release()
