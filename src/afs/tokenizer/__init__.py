"""ASMTokenizer: asar-aware pre-tokenization + a learned byte-level BPE vocabulary.

``ASMTokenizer()`` loads the vocabulary shipped in ``afs/tokenizer/vocab`` (a standard
transformers tokenizer directory); ``ASMTokenizer.train(files)`` learns one from your corpus.
Names are resolved on first use, so that ``afs.tokenizer.defaults`` stays light.
"""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "ASMTokenizer": "afs.tokenizer.asm_tokenizer",
    "SHIPPED_VOCAB_DIR": "afs.tokenizer.asm_tokenizer",
    "PIECE_PATTERN": "afs.tokenizer.pieces",
    "SEED_PIECES": "afs.tokenizer.pieces",
    "pre_tokenize": "afs.tokenizer.pieces",
    "DEFAULT_VOCAB_SIZE": "afs.tokenizer.defaults",
    "SPECIAL_TOKENS": "afs.tokenizer.training",
    "train_tokenizer": "afs.tokenizer.training",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
