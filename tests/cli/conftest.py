"""Fixtures for CLI tests: they run the installed `afs` console script as a subprocess."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from afs.samples import save_jsonl

from .clitools import afs_env, afs_executable, make_samples


@pytest.fixture
def afs(tmp_path):
    """Run `afs ARGS…` in tmp_path (also $HOME); returns the CompletedProcess."""

    def run(*args: str | Path, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(afs_executable()), *map(str, args)], cwd=tmp_path,
                              env={**afs_env(tmp_path), **env}, capture_output=True, text=True,
                              timeout=120)

    return run


@pytest.fixture
def write_samples(tmp_path):
    """Write ``make_samples(n, …)`` to tmp_path/name; returns the path."""

    def write(name: str, n: int, **kwargs) -> Path:
        return save_jsonl(make_samples(n, **kwargs), tmp_path / name)

    return write
