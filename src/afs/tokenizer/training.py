"""Train the byte-level BPE vocabulary behind ASMTokenizer.

The result is a plain `tokenizers.Tokenizer`: no normalizer (nothing is rewritten), the asm
piece cut of `afs.tokenizer.pieces` followed by a byte-level mapping (every byte has a token,
so any text encodes without ``<unk>`` and decodes back exactly), a BPE model and a byte-level
decoder. After training, every seed piece that the corpus did not make into one token gets
the merges it needs appended; the last learned merges make room for them, so the vocabulary
never exceeds ``vocab_size``. Training is deterministic: the same files give the same
``tokenizer.json`` in any process.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from afs.errors import ConfigError, DataError
from afs.jsonl_input import decode_utf8
from afs.tokenizer.defaults import DEFAULT_MIN_FREQUENCY, DEFAULT_VOCAB_SIZE
from afs.tokenizer.pieces import SEED_PIECES, piece_splitter

PAD_TOKEN, BOS_TOKEN, EOS_TOKEN, UNK_TOKEN = "<|pad|>", "<|startoftext|>", "<|endoftext|>", "<|unk|>"
SPECIAL_TOKENS = (PAD_TOKEN, BOS_TOKEN, EOS_TOKEN, UNK_TOKEN)  # ids 0..3, in this order


def empty_tokenizer():
    """An untrained ASM tokenizer: piece cut, byte-level mapping, BPE model, byte decoder."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    tokenizer = Tokenizer(models.BPE(unk_token=UNK_TOKEN))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        piece_splitter(), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


@functools.cache
def min_vocab_size() -> int:
    """The smallest vocabulary that holds the special tokens, all bytes and the seed pieces
    (with the tokens their merges pass through)."""
    alphabet = _byte_alphabet()
    added, _ = _seed_merges(_byte_level_seeds(), alphabet, [])
    return len(SPECIAL_TOKENS) + len(alphabet) + len(added)


def corpus_files(paths: Iterable[str | Path], patterns: Sequence[str] = ("*.asm",)) -> list[Path]:
    """``paths`` with each folder replaced by the files under it that match ``patterns``
    (sorted by path)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted({p for pattern in patterns for p in path.rglob(pattern) if p.is_file()})
            if not found:
                raise ConfigError(f"{path}: no {' or '.join(patterns)} files in this folder")
            files += found
        else:
            files.append(path)
    if not files:
        raise ConfigError("no training files given")
    return files


def read_corpus(files: Iterable[str | Path]) -> list[str]:
    """The text of each file, exactly as stored (CRLF kept); one-line errors for bad files."""
    texts = []
    for file in files:
        texts.append(decode_utf8(Path(file).read_bytes(), path=file))  # OSError names the file
    return texts


def train_tokenizer(texts: Sequence[str], vocab_size: int = DEFAULT_VOCAB_SIZE,
                    min_frequency: int = DEFAULT_MIN_FREQUENCY):
    """A `tokenizers.Tokenizer` trained on ``texts`` with at most ``vocab_size`` tokens.

    Merges stop early when no pair occurs ``min_frequency`` times; the seed pieces are added
    either way.
    """
    from tokenizers import Tokenizer, trainers

    if vocab_size < min_vocab_size():
        raise ConfigError(f"vocab size {vocab_size} is too small: the special tokens, the 256 "
                          f"bytes and the asm seed pieces need at least {min_vocab_size()}")
    if min_frequency < 1:
        raise ConfigError(f"min frequency must be at least 1, got {min_frequency}")
    tokenizer = empty_tokenizer()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=min_frequency, show_progress=False,
        special_tokens=list(SPECIAL_TOKENS), initial_alphabet=_byte_alphabet())
    tokenizer.train_from_iterator(texts, trainer=trainer, length=len(texts))
    data = json.loads(tokenizer.to_str())
    _add_seed_merges(data["model"], vocab_size)
    return Tokenizer.from_str(json.dumps(data, ensure_ascii=False))


def _add_seed_merges(model: dict, vocab_size: int) -> None:
    """Append merges so that each seed piece is one token, dropping the last learned merges
    until the vocabulary fits ``vocab_size`` again (BPE's first k merges are what training
    with a smaller vocabulary would have learned)."""
    seeds = _byte_level_seeds()
    vocab = sorted(model["vocab"], key=model["vocab"].get)  # tokens by id
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    learned = len(merges)
    drop = 0
    while True:
        kept_merges = merges[:learned - drop]
        dropped = {a + b for a, b in merges[learned - drop:]} - {a + b for a, b in kept_merges}
        kept_vocab = [token for token in vocab if token not in dropped]
        added_vocab, added_merges = _seed_merges(seeds, kept_vocab, kept_merges)
        if len(kept_vocab) + len(added_vocab) <= vocab_size or drop == learned:
            break
        drop = max(drop + 1, len(kept_vocab) + len(added_vocab) - vocab_size)
        drop = min(drop, learned)
    final_vocab = kept_vocab + added_vocab
    model["vocab"] = {token: i for i, token in enumerate(final_vocab)}
    model["merges"] = [list(m) for m in kept_merges + added_merges]


def _byte_alphabet() -> list[str]:
    from tokenizers import pre_tokenizers

    return sorted(pre_tokenizers.ByteLevel.alphabet())


def _byte_level_seeds() -> list[str]:
    """The seed pieces spelled as byte-level BPE sees them (a space is `Ġ`)."""
    from tokenizers import pre_tokenizers

    to_bytes = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    return [to_bytes.pre_tokenize_str(seed)[0][0] for seed in SEED_PIECES]


def _seed_merges(seeds: list[str], vocab: list[str],
                 merges: list[tuple[str, str]]) -> tuple[list[str], list[tuple[str, str]]]:
    """New tokens and merges (after ``merges``) that make every seed one token."""
    ranks = {pair: rank for rank, pair in enumerate(merges)}
    known = set(vocab)
    new_vocab: list[str] = []
    new_merges: list[tuple[str, str]] = []
    for seed in seeds:
        parts = _apply_bpe(seed, ranks)
        while len(parts) > 1:
            pair = (parts[0], parts[1])
            if pair not in ranks:  # a known pair applies by itself once its left token exists
                ranks[pair] = len(ranks)
                new_merges.append(pair)
            parts = [parts[0] + parts[1], *parts[2:]]
            if parts[0] not in known:
                known.add(parts[0])
                new_vocab.append(parts[0])
    return new_vocab, new_merges


def _apply_bpe(word: str, ranks: dict[tuple[str, str], int]) -> list[str]:
    """``word`` split as the BPE model splits it: lowest-ranked adjacent pair first."""
    parts = list(word)
    while len(parts) > 1:
        pairs = [(ranks.get((a, b)), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
        rank, i = min((p for p in pairs if p[0] is not None), default=(None, 0))
        if rank is None:
            return parts
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
    return parts
