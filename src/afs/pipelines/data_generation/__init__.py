"""The data_generation pipeline (nodes land with its library; an empty shell until then)."""

from afs.pipelines.data_generation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
