"""The data_generation pipeline: generators named in parameters -> raw_samples."""

from afs.pipelines.data_generation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
