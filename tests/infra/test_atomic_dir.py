"""Atomic writes build their output in private temp files and folders (0600/0700); what they
move into place has the mode a plain write would have had, so other users and tools (a
llama.cpp server under another account, a web server over data/08_reporting) can read it."""

from __future__ import annotations

import os

import pytest

from afs.atomic_dir import atomic_directory
from afs.samples.jsonl import atomic_write


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_an_atomically_written_file_gets_the_umask_mode(tmp_path, umask_022):
    with atomic_write(tmp_path / "report.json") as handle:
        handle.write(b"{}")
    assert (tmp_path / "report.json").stat().st_mode & 0o777 == 0o644


def test_an_atomically_written_folder_gets_the_umask_mode(tmp_path, umask_022):
    with atomic_directory(tmp_path / "adapter") as staging:
        (staging / "weights.bin").write_bytes(b"\0")
    assert (tmp_path / "adapter").stat().st_mode & 0o777 == 0o755
    os.umask(0o077)
    with atomic_write(tmp_path / "private.json") as handle:
        handle.write(b"{}")
    assert (tmp_path / "private.json").stat().st_mode & 0o777 == 0o600
