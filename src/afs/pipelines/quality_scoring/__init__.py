"""The quality_scoring pipeline (nodes land with its library; an empty shell until then)."""

from afs.pipelines.quality_scoring.pipeline import create_pipeline

__all__ = ["create_pipeline"]
