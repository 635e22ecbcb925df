"""Kedro datasets the AFS catalog needs that kedro-datasets lacks."""

from afs.datasets.file_path import FilePathDataset
from afs.datasets.jsonlines import JSONLinesDataset
from afs.datasets.sample_jsonl import SampleJSONLDataset

__all__ = ["FilePathDataset", "JSONLinesDataset", "SampleJSONLDataset"]
