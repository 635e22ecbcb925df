"""The project's pipelines: one folder per pipeline under ``afs/pipelines/``."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

PIPELINE_NAMES = ("data_generation", "quality_scoring", "curation", "training", "deployment")
DEFAULT_PIPELINE = "curation"


def register_pipelines() -> dict[str, Pipeline]:
    """Map each pipeline name to its ``Pipeline``; ``__default__`` runs curation.

    ``find_pipelines`` imports only the folders a ``kedro run --pipelines=...`` asks for,
    so the default is set only when the curation pipeline was loaded.
    """
    pipelines = find_pipelines(raise_errors=True)
    if DEFAULT_PIPELINE in pipelines:
        pipelines["__default__"] = pipelines[DEFAULT_PIPELINE]
    return pipelines
