"""The curation pipeline: rehearsal, rebalance, mix, split, export, rejects and report."""

from afs.pipelines.curation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
