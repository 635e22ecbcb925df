"""The project's pipelines: one folder per pipeline under ``afs/pipelines/``."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

PIPELINE_NAMES = ("data_generation", "quality_scoring", "curation", "training", "deployment")
# `kedro run`: every stage, in data order
DEFAULT_PIPELINES = PIPELINE_NAMES


def register_pipelines() -> dict[str, Pipeline]:
    """Map each pipeline name to its ``Pipeline``; ``__default__`` chains generation, quality
    scoring, curation, LoRA training and deployment.

    ``find_pipelines`` imports only the folders a ``kedro run --pipelines=...`` asks for,
    so the default is set only when all of its parts were loaded.
    """
    pipelines = find_pipelines(raise_errors=True)
    if all(name in pipelines for name in DEFAULT_PIPELINES):
        pipelines["__default__"] = sum((pipelines[name] for name in DEFAULT_PIPELINES),
                                       Pipeline([]))
    return pipelines
