"""Shared fixtures: one tiny base model per test session, built from the shipped text."""

from __future__ import annotations

from pathlib import Path

import pytest

RAW = Path(__file__).resolve().parents[2] / "data" / "01_raw"


@pytest.fixture(scope="session")
def tiny_cache(tmp_path_factory) -> Path:
    """A models folder holding ``tiny-base`` (as ``resolve_base_model("tiny", …)`` builds it)."""
    from afs.training.tiny import resolve_base_model

    cache = tmp_path_factory.mktemp("models")
    resolve_base_model("tiny", cache, raw_dir=RAW)
    return cache
