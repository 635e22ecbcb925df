"""What the JSONL readers accept, light (no pandas) so that the CLI offers the same choices
without loading the readers."""

from __future__ import annotations

ON_ERROR_CHOICES = ("raise", "skip")  # a bad line stops the read, or is skipped and recorded
