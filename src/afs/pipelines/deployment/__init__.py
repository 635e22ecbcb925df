"""The deployment pipeline: GGUF export, a served smoke evaluation, MLflow model registry."""

from afs.pipelines.deployment.pipeline import create_pipeline

__all__ = ["create_pipeline"]
