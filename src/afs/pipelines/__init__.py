"""Kedro pipelines: data_generation, quality_scoring, curation, training, deployment."""
