"""Deduplication: the config (``config``), exact + MinHash clusters (``clusters``, ``minhash``),
reference dedup and decontamination (``reference``), Ray (``ray_backend``) and file/shard dedup
(``files``)."""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "DedupConfig": "afs.dedup.config",
    "deduplicate": "afs.dedup.clusters",
    "duplicate_clusters": "afs.dedup.clusters",
    "dedup_against_reference": "afs.dedup.reference",
    "decontaminate": "afs.dedup.reference",
    "dedup_files": "afs.dedup.files",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
