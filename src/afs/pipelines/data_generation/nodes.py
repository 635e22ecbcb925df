"""Nodes of the data_generation pipeline: thin calls into afs.generators.runner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from afs.generators import runner
from afs.generators.plugins import load_configured_plugins


def generate_samples(generation: dict[str, Any]) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Run every configured source: one table per source, and the generation report; on the
    parameters' ``executor`` (local: one after the other here; ray: one per worker)."""
    load_configured_plugins()  # a source may name a plugin generator (general.enabled_plugins)
    return runner.run_sources(generation.get("sources") or {}, generation.get("executor"),
                              load_plugins=True)


def combine_generated(partitions: dict[str, Callable[[], pd.DataFrame]]) -> pd.DataFrame:
    """All sources' tables as one sample table (raw_samples)."""
    return runner.combine_sources({name: load() for name, load in partitions.items()})


def generation_metrics(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per-source sample counts for MLflow."""
    return runner.generation_metrics(report)
