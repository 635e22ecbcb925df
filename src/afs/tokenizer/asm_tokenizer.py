"""ASMTokenizer: an asar-aware subword tokenizer that round-trips any text exactly.

A thin layer over a standard Hugging Face tokenizer directory (``tokenizer.json`` +
``tokenizer_config.json``): everything asm-specific lives in ``tokenizer.json`` itself (see
`afs.tokenizer.pieces`), so ``transformers.AutoTokenizer.from_pretrained(dir)`` loads the same
tokenizer without AFS. ``tokenize``/``encode``/``decode`` run on the Rust `tokenizers` object
and stay light; the `transformers` wrapper (batches, padding, tensors) is built on first use.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from afs.errors import ConfigError, DataError
from afs.tokenizer import pieces, training

SHIPPED_VOCAB_DIR = Path(__file__).parent / "vocab"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "tokenizer_config.json"
MODEL_MAX_LENGTH = 2048
_SPECIAL_DEFAULTS = {"pad_token": training.PAD_TOKEN, "bos_token": training.BOS_TOKEN,
                     "eos_token": training.EOS_TOKEN, "unk_token": training.UNK_TOKEN}


class ASMTokenizer:
    """Subword tokenizer for 65816 assembly in asar syntax.

    ``ASMTokenizer()`` loads the vocabulary shipped with AFS (trained on the project's asm
    corpus); ``ASMTokenizer(dir)`` or ``ASMTokenizer.from_pretrained(dir)`` loads a directory
    written by ``save_pretrained`` (or ``afs tokenizer train``); ``ASMTokenizer.train(files)``
    learns a new one.

    ``tokenize("LDA #$00 ; Load zero")`` gives ``['LDA', ' #$00', …]`` followed by the
    comment ``" ; Load zero"`` in learned subwords (with the shipped vocabulary
    ``[' ; ', 'Lo', 'ad ', 'zero']``): one space before a piece belongs to it, as in GPT-2, so
    the spec's ``['LDA', '#$00', '']`` comes out with the spaces kept and nothing empty.

    ``decode(encode(text)) == text`` for every string. ``encode`` adds no special tokens:
    append ``eos_token_id`` yourself where a training sequence ends.
    """

    def __init__(self, path: str | Path | None = None):
        directory = Path(path).expanduser() if path is not None else SHIPPED_VOCAB_DIR
        self._init(_load_backend(directory), directory)

    def _init(self, backend: Any, directory: Path | None) -> None:
        self.backend_tokenizer = backend
        self._directory = directory
        self._hf: Any = None
        self.special_tokens = _special_tokens(directory)
        size = backend.get_vocab_size(with_added_tokens=True)
        # a token as text: the bytes it stands for (part of a multi-byte character shows as �)
        self._display = backend.decode_batch([[i] for i in range(size)],
                                             skip_special_tokens=False)

    @classmethod
    def from_pretrained(cls, path: str | Path) -> ASMTokenizer:
        """Load a tokenizer directory written by ``save_pretrained``."""
        return cls(path)

    @classmethod
    def train(cls, files: Iterable[str | Path], vocab_size: int = training.DEFAULT_VOCAB_SIZE,
              min_frequency: int = training.DEFAULT_MIN_FREQUENCY) -> ASMTokenizer:
        """Learn a vocabulary of at most ``vocab_size`` tokens from ``files`` (folders are
        searched for ``*.asm``). Same files, same tokenizer, in any process."""
        texts = training.read_corpus(training.corpus_files(files))
        return cls.train_from_texts(texts, vocab_size, min_frequency)

    @classmethod
    def train_from_texts(cls, texts: Sequence[str],
                         vocab_size: int = training.DEFAULT_VOCAB_SIZE,
                         min_frequency: int = training.DEFAULT_MIN_FREQUENCY) -> ASMTokenizer:
        """``train`` on strings already in memory (one per file or document)."""
        tokenizer = cls.__new__(cls)
        tokenizer._init(training.train_tokenizer(list(texts), vocab_size, min_frequency), None)
        return tokenizer

    # -- text <-> tokens ---------------------------------------------------------------------

    def pre_tokenize(self, text: str) -> list[str]:
        """``text`` cut into asm pieces (mnemonic, operand, comment, …); no token spans two."""
        return pieces.pre_tokenize(text)

    def tokenize(self, text: str) -> list[str]:
        """The tokens of ``text`` as readable strings; joined, they give ``text`` back (a
        character split over several tokens shows as � in each)."""
        return [self._display[i] for i in self.encode(text)]

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (no special tokens added)."""
        return self.backend_tokenizer.encode(text, add_special_tokens=False).ids

    def decode(self, ids: Iterable[int], skip_special_tokens: bool = False) -> str:
        """The text of ``ids``: exactly the text they were encoded from."""
        ids = [int(i) for i in (ids.tolist() if hasattr(ids, "tolist") else ids)]
        for i in ids:
            if not 0 <= i < len(self):
                raise DataError(f"token id {i} is not in the vocabulary (0..{len(self) - 1})")
        return self.backend_tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)

    def batch_decode(self, sequences: Iterable[Iterable[int]],
                     skip_special_tokens: bool = False) -> list[str]:
        """``decode`` for each sequence of ids (rows of a tensor too)."""
        return [self.decode(ids, skip_special_tokens) for ids in sequences]

    def __call__(self, text: str | Sequence[str], **kwargs: Any) -> Any:
        """Batch encoding as a transformers tokenizer does it: ``padding``, ``truncation``,
        ``max_length``, ``return_tensors="pt"``, … (``input_ids`` and ``attention_mask``)."""
        return self.hf_tokenizer(text, **kwargs)

    # -- vocabulary ----------------------------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        return self.backend_tokenizer.get_vocab_size(with_added_tokens=True)

    def __len__(self) -> int:
        return self.vocab_size

    def token_to_id(self, token: str) -> int | None:
        """The id of a vocabulary entry (byte-level spelling, as in tokenizer.json)."""
        return self.backend_tokenizer.token_to_id(token)

    pad_token = property(lambda self: self.special_tokens["pad_token"])
    bos_token = property(lambda self: self.special_tokens["bos_token"])
    eos_token = property(lambda self: self.special_tokens["eos_token"])
    unk_token = property(lambda self: self.special_tokens["unk_token"])
    pad_token_id = property(lambda self: self.token_to_id(self.pad_token))
    bos_token_id = property(lambda self: self.token_to_id(self.bos_token))
    eos_token_id = property(lambda self: self.token_to_id(self.eos_token))
    unk_token_id = property(lambda self: self.token_to_id(self.unk_token))

    # -- transformers ---------------------------------------------------------------------------

    @property
    def hf_tokenizer(self) -> Any:
        """This tokenizer as a ``transformers.PreTrainedTokenizerFast`` (built on first use)."""
        if self._hf is None:
            from transformers import PreTrainedTokenizerFast

            if self._directory is not None and (self._directory / CONFIG_FILE).is_file():
                self._hf = PreTrainedTokenizerFast.from_pretrained(str(self._directory))
            else:  # a copy: transformers sets padding and truncation on the object it holds
                from tokenizers import Tokenizer

                self._hf = PreTrainedTokenizerFast(
                    tokenizer_object=Tokenizer.from_str(self.backend_tokenizer.to_str()),
                    clean_up_tokenization_spaces=False,
                    model_max_length=MODEL_MAX_LENGTH, **self.special_tokens)
        return self._hf

    def save_pretrained(self, path: str | Path) -> Path:
        """Write ``tokenizer.json`` and ``tokenizer_config.json`` to the folder ``path``, which
        ``from_pretrained`` here and ``AutoTokenizer.from_pretrained`` in transformers load."""
        directory = Path(path).expanduser()
        directory.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".tokenizer-", dir=directory))
        try:
            self.hf_tokenizer.save_pretrained(str(staging))
            config = json.loads((staging / CONFIG_FILE).read_text(encoding="utf-8"))
            # the v4 and v5 name of the same class, so older transformers load it too
            config["tokenizer_class"] = "PreTrainedTokenizerFast"
            config["clean_up_tokenization_spaces"] = False  # keep spaces exactly as encoded
            (staging / CONFIG_FILE).write_text(json.dumps(config, indent=2, ensure_ascii=False)
                                               + "\n", encoding="utf-8")
            for file in sorted(staging.iterdir()):
                os.replace(file, directory / file.name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return directory

    def __repr__(self) -> str:
        where = self._directory if self._directory is not None else "trained in memory"
        return f"ASMTokenizer(vocab_size={self.vocab_size}, {where})"


def _load_backend(directory: Path) -> Any:
    from tokenizers import Tokenizer

    file = directory / TOKENIZER_FILE
    if not file.is_file():
        what = "no such folder" if not directory.exists() else f"no {TOKENIZER_FILE} in it"
        raise ConfigError(f"{directory}: {what} (write one with `afs tokenizer train` or "
                          f"ASMTokenizer.save_pretrained)")
    try:
        return Tokenizer.from_file(str(file))
    except Exception as exc:  # the Rust error names no file
        raise DataError(f"not a tokenizers file: {str(exc).splitlines()[0]}", path=file) from None


def _special_tokens(directory: Path | None) -> dict[str, str]:
    """pad/bos/eos/unk token names: from the folder's tokenizer_config.json, else AFS's."""
    tokens = dict(_SPECIAL_DEFAULTS)
    config_file = directory / CONFIG_FILE if directory is not None else None
    if config_file is not None and config_file.is_file():
        try:
            config = json.loads(config_file.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise DataError(f"not JSON: {exc}", path=config_file) from None
        for name in tokens:
            value = config.get(name)
            value = value.get("content") if isinstance(value, dict) else value
            if isinstance(value, str):
                tokens[name] = value
    return tokens
