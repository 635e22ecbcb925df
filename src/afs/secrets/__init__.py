"""Secrets never reach a dataset: the rules (``rules``: token shapes, secret-like names), the
redaction of text and values (``redact``) and the gate every generated sample passes
(``gate``). Rules and kinds: docs/safety.md."""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "redact_text": "afs.secrets.redact",
    "redact_value": "afs.secrets.redact",
    "redacted": "afs.secrets.redact",
    "redact_sample": "afs.secrets.gate",
    "redact_samples": "afs.secrets.gate",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
