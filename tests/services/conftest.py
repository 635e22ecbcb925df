"""Fixtures for the services' tests: an isolated home and state folder, a copy of the shipped
memory, and clean-up of any runner a test left behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from afs.errors import DataError
from afs.services.process import pid_exists
from afs.services.state import judge, read_state
from tests.cli.clitools import afs_env, afs_executable

RAW_MEMORY = Path(__file__).resolve().parents[2] / "data" / "01_raw" / "context" / "memory"
SERVICE_NAMES = ("memory-export", "context-warm")


@pytest.fixture
def services_env(tmp_path, monkeypatch) -> dict[str, str]:
    """The AFS_* settings every test runs under (also set in this process, for in-process
    calls): state in tmp_path/state, memory copied to tmp_path/memory, 1 s intervals."""
    shutil.copytree(RAW_MEMORY, tmp_path / "memory")
    (tmp_path / "src").mkdir()
    env = {"AFS_SERVICES_DIR": str(tmp_path / "state"),
           "AFS_MEMORY_ROOT": str(tmp_path / "memory"),
           "AFS_MEMORY_EXPORT_OUTPUT": str(tmp_path / "out" / "memory.jsonl"),
           "AFS_MEMORY_EXPORT_INTERVAL": "1",
           "AFS_CONTEXT_WARM_INTERVAL": "1",
           "AFS_CONTEXT_WARM_ROOT": str(tmp_path / "src")}
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("AFS_CONFIG_PATH", raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield env
    _kill_leftover_runners(Path(env["AFS_SERVICES_DIR"]))


@pytest.fixture
def state_dir(services_env) -> Path:
    return Path(services_env["AFS_SERVICES_DIR"])


@pytest.fixture
def afs(tmp_path, services_env):
    """Run `afs ARGS…` (the installed script) in tmp_path with the services' environment."""

    def run(*args: str | Path, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(afs_executable()), *map(str, args)], cwd=tmp_path, check=False,
                              env={**afs_env(tmp_path), **services_env, **env},
                              capture_output=True, text=True, timeout=60)

    return run


def wait_for(condition, timeout: float = 10.0, what: str = "condition"):
    """Poll ``condition()`` until it is truthy (returned) or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def _kill_leftover_runners(directory: Path) -> None:
    """A failed test must not leave a runner behind: SIGKILL whatever still runs."""
    for name in SERVICE_NAMES:
        try:
            current = judge(name, read_state(directory, name))
        except DataError:  # a test wrote a broken record on purpose
            continue
        if current.running:
            os.kill(current.pid, signal.SIGKILL)
            wait_for(lambda pid=current.pid: not pid_exists(pid), 5, f"{name} to die")
