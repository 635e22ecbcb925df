"""Curation: the rehearsal buffer (``rehearsal``), domain rebalancing (``rebalance``),
leak-proof splits (``split``), ratio arithmetic (``ratios``) and trainer-format export
(``export``)."""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "RehearsalBuffer": "afs.curation.rehearsal",
    "RehearsalBufferConfig": "afs.curation.rehearsal",
    "rebalance_datasets": "afs.curation.rebalance",
    "split_dataset": "afs.curation.split",
    "write_splits": "afs.curation.split",
    "convert_jsonl": "afs.curation.export",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
