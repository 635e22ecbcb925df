"""The tokenizer trainer's defaults, light (no tokenizers library) so that
`afs tokenizer --help` shows them without loading it."""

from __future__ import annotations

DEFAULT_VOCAB_SIZE = 4096
DEFAULT_MIN_FREQUENCY = 2
