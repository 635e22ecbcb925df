"""The deployment pipeline (nodes land with its library; an empty shell until then)."""

from afs.pipelines.deployment.pipeline import create_pipeline

__all__ = ["create_pipeline"]
