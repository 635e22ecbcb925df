"""The project's pipelines: one folder per pipeline under ``afs/pipelines/``, each a stage in
its own namespace (``afs.pipelines.stage_pipeline``)."""

from __future__ import annotations

from collections.abc import Mapping

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

PIPELINE_NAMES = ("data_generation", "quality_scoring", "curation", "training", "deployment")
# `kedro run`: every stage, in data order
DEFAULT_PIPELINES = PIPELINE_NAMES


def with_default(pipelines: Mapping[str, Pipeline]) -> dict[str, Pipeline]:
    """``pipelines`` and, when every stage is among them, ``__default__`` chaining them in
    data order."""
    registered = dict(pipelines)
    if all(name in registered for name in DEFAULT_PIPELINES):
        registered["__default__"] = sum((registered[name] for name in DEFAULT_PIPELINES),
                                        Pipeline([]))
    return registered


def register_pipelines() -> dict[str, Pipeline]:
    """Map each pipeline name to its ``Pipeline``; ``__default__`` chains generation, quality
    scoring, curation, LoRA training and deployment.

    ``find_pipelines`` imports only the folders a ``kedro run --pipelines=...`` asks for,
    so the default is set only when all of its parts were loaded.
    """
    return with_default(find_pipelines(raise_errors=True))
