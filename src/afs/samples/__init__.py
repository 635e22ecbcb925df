"""The canonical sample record, its table form and JSONL I/O (bottom floor: no domain logic)."""

from afs.samples.collection import SampleList
from afs.samples.jsonl import LoadReport, load_jsonl, read_jsonl_frame, save_jsonl, write_jsonl_frame
from afs.samples.model import TrainingSample

__all__ = [
    "LoadReport",
    "SampleList",
    "TrainingSample",
    "load_jsonl",
    "read_jsonl_frame",
    "save_jsonl",
    "write_jsonl_frame",
]
