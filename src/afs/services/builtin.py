"""The built-in services: ``memory-export`` and ``context-warm`` (docs/services.md)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from afs.services.base import Log, Service

MEMORY_ROOT_ENV = "AFS_MEMORY_ROOT"
CONTEXT_WARM_ROOT_ENV = "AFS_CONTEXT_WARM_ROOT"


def tree_fingerprint(root: Path) -> tuple[str, int]:
    """A hash of the relative path, size and mtime of every file under ``root``, and the
    number of files: it changes whenever a file is added, removed or rewritten."""
    digest, count = hashlib.sha256(), 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder, name)
            try:
                stat = path.stat()
            except OSError:
                continue  # vanished or a broken link: the export reports what it cannot read
            digest.update(f"{path.relative_to(root)}\0{stat.st_size}\0{stat.st_mtime_ns}\n"
                          .encode(errors="surrogateescape"))
            count += 1
    return digest.hexdigest(), count


class MemoryExportService(Service):
    """Export the agent's memory to a JSONL dataset whenever the memory changed."""

    name = "memory-export"
    description = "export the memory folder to a JSONL training dataset when it changes"
    interval_key = "services.memory_export_interval"
    interval_env = "AFS_MEMORY_EXPORT_INTERVAL"

    def memory_root(self) -> Path:
        """``$AFS_MEMORY_ROOT``, else ``<project.context_root>/memory``."""
        if os.environ.get(MEMORY_ROOT_ENV):
            return Path(os.environ[MEMORY_ROOT_ENV]).expanduser()
        return self.config.project.context_folder("memory")

    def output(self) -> Path:
        """``services.memory_export_output`` ($AFS_MEMORY_EXPORT_OUTPUT)."""
        return Path(self.config.services.memory_export_output).expanduser()

    def tick(self, log: Log) -> None:
        root, output = self.memory_root(), self.output()
        if not root.is_dir():
            log(f"memory folder {root} does not exist; nothing to export")
            return
        fingerprint, files = tree_fingerprint(root)
        unchanged = (self.memo.get("fingerprint") == fingerprint
                     and self.memo.get("output") == str(output) and output.is_file())
        if unchanged:
            log(f"memory unchanged ({files} files in {root}); {output} is up to date")
            return
        from afs.context.export import export_memory  # pandas: not for `services status`

        report = export_memory(root, output)
        self.memo.update(fingerprint=fingerprint, output=str(output), samples=report.written)
        log(f"exported {files} files from {root}: {report.summary()}")


class ContextWarmService(Service):
    """Discover ``.context`` folders and refresh the embedding index of each one's docs."""

    name = "context-warm"
    description = "discover .context folders and refresh their knowledge/memory embedding indexes"
    interval_key = "services.context_warm_interval"
    interval_env = "AFS_CONTEXT_WARM_INTERVAL"

    def discovery_root(self) -> Path:
        """``$AFS_CONTEXT_WARM_ROOT``, else the home folder."""
        return Path(os.environ.get(CONTEXT_WARM_ROOT_ENV) or "~").expanduser()

    def tick(self, log: Log) -> None:
        from afs.services.warm import warm_contexts  # numpy: not for `services status`

        warm_contexts(self.discovery_root(), self.config, log)
