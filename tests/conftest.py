"""Fixtures shared across test folders: one tiny base model per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

RAW = Path(__file__).resolve().parents[1] / "data" / "01_raw"


@pytest.fixture(scope="session")
def tiny_cache(tmp_path_factory) -> Path:
    """A models folder holding ``tiny-base`` (as ``resolve_base_model("tiny", …)`` builds it),
    built once for the training and the deployment tests."""
    from afs.training.tiny import resolve_base_model

    cache = tmp_path_factory.mktemp("models")
    resolve_base_model("tiny", cache, raw_dir=RAW)
    return cache
