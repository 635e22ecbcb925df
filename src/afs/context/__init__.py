"""An agent's `.context` folder: its layout, validation, discovery and repair, safe reads,
and memory and history exports with secrets redacted.

Layout and file formats: docs/context_format.md. Names are resolved on first use, so that
importing one light submodule (``afs.secrets.redact``) does not pull in pandas.
"""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "ExportReport": "afs.context.export",
    "export_history": "afs.context.export",
    "export_memory": "afs.context.export",
    "HistoryGenerator": "afs.context.history",
    "MemoryGenerator": "afs.context.memory",
    "redact_text": "afs.secrets.redact",
    "redact_value": "afs.secrets.redact",
    "CONTEXT_DIRS": "afs.context.layout",
    "ContextInfo": "afs.context.layout",
    "context_dir": "afs.context.layout",
    "init_context": "afs.context.layout",
    "read_metadata": "afs.context.layout",
    "write_metadata": "afs.context.layout",
    "Problem": "afs.context.validation",
    "validate_context": "afs.context.validation",
    "DiscoveredContext": "afs.context.discovery",
    "discover_contexts": "afs.context.discovery",
    "Action": "afs.context.repair",
    "ContextRepair": "afs.context.repair",
    "ensure_all": "afs.context.repair",
    "ensure_context": "afs.context.repair",
    "ContextEscapeError": "afs.safe_fs",
    "ContextFS": "afs.safe_fs",
}
__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
