"""An agent's `.context` folder: memory and history exports, with secrets redacted.

Layout and file formats: docs/context_format.md. Names are resolved on first use, so that
importing one light submodule (``afs.context.redact``) does not pull in pandas.
"""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "ExportReport": "afs.context.export",
    "export_history": "afs.context.export",
    "export_memory": "afs.context.export",
    "HistoryGenerator": "afs.context.history",
    "MemoryGenerator": "afs.context.memory",
    "redact_text": "afs.context.redact",
    "redact_value": "afs.context.redact",
}
__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
