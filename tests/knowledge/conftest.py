"""Fixtures for knowledge tests: address files written to tmp_path, the `afs` script."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cli.clitools import afs_env, afs_executable  # tests/ is on sys.path (rootdir import mode)


@pytest.fixture
def write_file(tmp_path):
    """Write ``text`` to tmp_path/name; returns the path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def afs_knowledge(tmp_path):
    """Run `afs knowledge ARGS…` in tmp_path; returns the CompletedProcess."""

    def run(*args: str | Path) -> subprocess.CompletedProcess:
        return subprocess.run([str(afs_executable()), "knowledge", *map(str, args)], cwd=tmp_path,
                              env=afs_env(tmp_path), capture_output=True, text=True, timeout=120)

    return run
