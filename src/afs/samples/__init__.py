"""The canonical sample record, its table form and JSONL I/O (bottom floor: no domain logic).

Names are resolved on first use, so that importing a light submodule (``formats``,
``choices``, ``model``) does not load pandas.
"""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "LoadReport": "afs.samples.jsonl",
    "SampleList": "afs.samples.collection",
    "TrainingSample": "afs.samples.model",
    "load_jsonl": "afs.samples.jsonl",
    "read_jsonl_frame": "afs.samples.jsonl",
    "save_jsonl": "afs.samples.jsonl",
    "write_jsonl_frame": "afs.samples.jsonl",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
