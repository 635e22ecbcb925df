"""Kedro pipelines: data_generation, quality_scoring, curation, training, deployment."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kedro.pipeline import Node, Pipeline

# what a node does, beside its stage tag (`kedro run --tags=report`, Kedro-Viz's tag filter)
KIND_TAGS = ("report", "metrics", "model", "export", "eval")


def stage_pipeline(stage: str, nodes: Iterable[Node]) -> Pipeline:
    """``nodes`` as the stage ``stage``: in its namespace (one collapsible box in Kedro-Viz;
    node names become ``<stage>.<name>``) and tagged ``stage``. Dataset and parameter names
    stay as the catalog and the parameters files spell them, so stages hand data to each
    other by those names."""
    from kedro.pipeline import pipeline

    return pipeline(list(nodes), namespace=stage, tags=stage,
                    prefix_datasets_with_namespace=False)
