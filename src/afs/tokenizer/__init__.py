"""ASMTokenizer: asar-aware pre-tokenization + a learned byte-level BPE vocabulary.

``ASMTokenizer()`` loads the vocabulary shipped in ``afs/tokenizer/vocab`` (a standard
transformers tokenizer directory); ``ASMTokenizer.train(files)`` learns one from your corpus.
"""

from afs.tokenizer.asm_tokenizer import SHIPPED_VOCAB_DIR, ASMTokenizer
from afs.tokenizer.pieces import PIECE_PATTERN, SEED_PIECES, pre_tokenize
from afs.tokenizer.training import DEFAULT_VOCAB_SIZE, SPECIAL_TOKENS, train_tokenizer

__all__ = ["ASMTokenizer", "DEFAULT_VOCAB_SIZE", "PIECE_PATTERN", "SEED_PIECES",
           "SHIPPED_VOCAB_DIR", "SPECIAL_TOKENS", "pre_tokenize", "train_tokenizer"]
