"""The training pipeline: LoRA fine-tuning on the curated chat splits."""

from afs.pipelines.training.pipeline import create_pipeline

__all__ = ["create_pipeline"]
