"""The training pipeline (nodes land with its library; an empty shell until then)."""

from afs.pipelines.training.pipeline import create_pipeline

__all__ = ["create_pipeline"]
