"""Fixtures for the agents' tests: an isolated home and a recording OpenAI-compatible server."""

from __future__ import annotations

import pytest

from .fake_openai import recording_server


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """No user or project config file reaches the agents (load_config reads $HOME and cwd)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("AFS_CONFIG_PATH", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def fake_server():
    """A loopback OpenAI-compatible server that records each chat request (see fake_openai)."""
    with recording_server() as server:
        yield server
