"""Executors for the heavy per-row stages: ``local`` (in-process, batched) or ``ray``
(Ray Data over Parquet shards, on an existing cluster or a local one).

Imports are resolved on first use so `import afs.executors` stays light (Ray is optional).
"""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "ExecutorConfig": "afs.executors.config",
    "EXECUTOR_KINDS": "afs.executors.config",
    "ray_session": "afs.executors.config",
    "import_ray": "afs.executors.config",
    "map_frame": "afs.executors.seam",
    "map_items": "afs.executors.seam",
    "validate_texts": "afs.executors.stages",
    "validate_files": "afs.executors.stages",
    "FileValidation": "afs.executors.stages",
    "AsarValidation": "afs.executors.stages",
    "run_sharded": "afs.executors.shards",
    "ShardReport": "afs.executors.shards",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
