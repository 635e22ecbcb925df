"""The quality_scoring pipeline: raw_samples -> scored, deduplicated, filtered samples."""

from afs.pipelines.quality_scoring.pipeline import create_pipeline

__all__ = ["create_pipeline"]
