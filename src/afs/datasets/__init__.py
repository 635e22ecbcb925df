"""Kedro datasets the AFS catalog needs: its own types, and atomic versions of the
kedro-datasets types it uses (every save is whole or absent, see ``atomic``)."""

from afs.datasets.atomic import (
    JSONDataset,
    MatplotlibDataset,
    ParquetDataset,
    PartitionedDataset,
    TextDataset,
)
from afs.datasets.file_path import FilePathDataset
from afs.datasets.jsonlines import JSONLinesDataset
from afs.datasets.sample_jsonl import SampleJSONLDataset

__all__ = ["FilePathDataset", "JSONDataset", "JSONLinesDataset", "MatplotlibDataset",
           "ParquetDataset", "PartitionedDataset", "SampleJSONLDataset", "TextDataset"]
