"""Real asm snippets and their corrupted twins, split without leaks.

A document (an .asm file, or the asm in a sample's output) is cut into routine-sized blocks
of ``block_lines`` non-blank lines; windows of ``window`` consecutive lines are taken inside a
block, every ``stride`` lines. A block, its windows and every corruption of them share one
split, picked by a seeded hash of the block's text: no real line and no twin of it is seen in
training and scored in test. Windows with fewer than ``min_instructions`` instructions are
skipped (comment headers, tables).

Training does not materialise every twin: ``Snippets`` holds the real windows (cheap to cut),
``epoch_examples`` draws a seeded sample of them for one epoch, each with ``twins`` corruptions
of kinds drawn for that epoch, and ``eval_examples`` gives a fixed held-out set (every
applicable kind of each window of a seeded sample). ``build_examples`` (every twin of every
window) remains for small corpora and tests.
"""

from __future__ import annotations

import hashlib
import random
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from afs.asm import code_blocks
from afs.asm.validator import looks_like_code
from afs.discriminator.corruptions import KINDS, corrupt, instruction_spans
from afs.errors import DataError
from afs.jsonl_input import decode_utf8

REAL = "real"
SPLITS = ("train", "val", "test")
DEFAULT_WINDOW = 8
DEFAULT_STRIDE = 2
DEFAULT_BLOCK_LINES = 32
DEFAULT_MIN_INSTRUCTIONS = 3
DEFAULT_RATIOS = (0.8, 0.1, 0.1)
POOL_SIZE = 64  # lines of other routines offered to `foreign_line`, per block


@dataclass(frozen=True)
class Document:
    """A piece of asm source and where it came from."""

    name: str
    text: str


@dataclass(frozen=True)
class Example:
    """One classifier input: ``label`` 1 for real asm, 0 for a corruption of ``kind``."""

    text: str
    label: int
    kind: str
    group: str
    split: str
    source: str = ""  # the real snippet a corruption was made from ("" for real ones)


@dataclass(frozen=True)
class Window:
    """A real snippet: its text, the key and split of its block, and the block's number."""

    text: str
    group: str
    split: str
    block: int


def _asm_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*.asm") if p.is_file())
    if not path.exists():
        raise DataError("no such file or folder", path=path)
    return [path]


def _sample_documents(path: Path) -> list[Document]:
    from afs.samples import load_jsonl  # pandas: only for JSONL inputs, not .asm files

    documents = []
    for number, sample in enumerate(load_jsonl(path), 1):
        output = sample.output or ""
        blocks = [code for _, code in code_blocks(output)]
        if not blocks and looks_like_code(output):
            blocks = [output]
        documents += [Document(f"{path}#{number}", code) for code in blocks]
    return documents


def read_documents(inputs: Iterable[str | Path]) -> list[Document]:
    """Documents from .asm files, folders (every *.asm under them, sorted) and JSONL sample
    files (the asm code blocks of each output)."""
    documents: list[Document] = []
    for given in inputs:
        path = Path(given).expanduser()
        if path.suffix == ".jsonl":
            documents += _sample_documents(path)
            continue
        for file in _asm_files(path):
            text = decode_utf8(file.read_bytes(), path=file)
            name = str(file.relative_to(path)) if path.is_dir() else file.name
            documents.append(Document(name, text))
    if not documents:
        raise DataError("no asm found in the inputs (give .asm files, folders or JSONL samples)",
                        path=", ".join(map(str, inputs)))
    return documents


def data_hash(documents: Sequence[Document]) -> str:
    """sha256 over the documents' names and texts (in order)."""
    digest = hashlib.sha256()
    for document in documents:
        for part in (document.name, document.text):
            data = part.encode("utf-8")
            digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


def split_of(key: str, seed: int, ratios: Sequence[float] = DEFAULT_RATIOS) -> str:
    """The split of a group: a seeded hash of its key mapped to [0, 1) against ``ratios``."""
    value = int.from_bytes(hashlib.sha256(f"{seed}\x00{key}".encode()).digest()[:8], "big")
    point = value / 2**64 * sum(ratios)
    for name, edge in zip(SPLITS, (ratios[0], ratios[0] + ratios[1])):
        if point < edge:
            return name
    return SPLITS[-1]


def blocks_of(text: str, block_lines: int = DEFAULT_BLOCK_LINES) -> list[list[str]]:
    """Non-blank lines of ``text`` cut into consecutive blocks of ``block_lines``."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return [lines[i:i + block_lines] for i in range(0, len(lines), block_lines)]


def _instruction_counts(block: Sequence[str]) -> list[int]:
    """Instructions on each line of ``block`` (``instruction_spans`` reads lines one by one,
    so a window's count is the sum of its lines')."""
    counts = [0] * len(block)
    for span in instruction_spans(block):
        counts[span.index] += 1
    return counts


def _window_texts(block: Sequence[str], counts: Sequence[int], window: int, stride: int,
                  min_instructions: int) -> list[str]:
    totals = [0, *accumulate(counts)]
    starts = range(0, max(len(block) - window, 0) + 1, stride)
    return [textwrap.dedent("\n".join(block[start:start + window])) for start in starts
            if totals[min(start + window, len(block))] - totals[start] >= min_instructions]


def windows_of(block: Sequence[str], window: int = DEFAULT_WINDOW, stride: int = DEFAULT_STRIDE,
               min_instructions: int = DEFAULT_MIN_INSTRUCTIONS) -> list[str]:
    """Snippets of ``window`` lines inside ``block`` (dedented), every ``stride`` lines."""
    return _window_texts(block, _instruction_counts(block), window, stride, min_instructions)


def block_key(block: Sequence[str]) -> str:
    """The key of a block (its split and every seed drawn for it come from this)."""
    return hashlib.sha256("\n".join(block).encode("utf-8")).hexdigest()


class Snippets:
    """The real windows of a corpus (every size in ``windows``, every ``stride`` lines of each
    block), with their splits, and the ``foreign_line`` pool of each block: a seeded sample of
    instruction lines of other blocks (drawn by index, so it costs the pool's size, not the
    corpus')."""

    def __init__(self, documents: Sequence[Document], *, seed: int = 42,
                 windows: Sequence[int] = (DEFAULT_WINDOW,), stride: int = DEFAULT_STRIDE,
                 block_lines: int = DEFAULT_BLOCK_LINES,
                 min_instructions: int = DEFAULT_MIN_INSTRUCTIONS,
                 ratios: Sequence[float] = DEFAULT_RATIOS):
        self.seed = seed
        self.keys: list[str] = []
        self.windows: list[Window] = []
        self._lines: list[str] = []    # instruction lines of the corpus
        self._owners: list[int] = []   # the block of each
        self._pools: dict[int, list[str]] = {}
        blocks = [block for document in documents for block in blocks_of(document.text,
                                                                          block_lines)]
        for number, block in enumerate(blocks):
            key = block_key(block)
            split = split_of(key, seed, ratios)
            counts = _instruction_counts(block)
            self.keys.append(key)
            for line, count in zip(block, counts):
                if count:
                    self._lines.append(line)
                    self._owners.append(number)
            seen: set[str] = set()
            for size in windows:
                for text in _window_texts(block, counts, size, stride, min_instructions):
                    if text not in seen:  # a short block gives the same window at each size
                        seen.add(text)
                        self.windows.append(Window(text, key, split, number))

    def split(self, name: str) -> list[Window]:
        return [w for w in self.windows if w.split == name]

    def pool(self, block: int) -> list[str]:
        """Up to ``POOL_SIZE`` instruction lines of blocks other than ``block`` (seeded)."""
        if block not in self._pools:
            rng = random.Random(f"{self.seed}\x00pool\x00{self.keys[block]}")
            picks: list[str] = []
            for _ in range(POOL_SIZE * 4):
                if len(picks) == POOL_SIZE or not self._lines:
                    break
                index = rng.randrange(len(self._lines))
                if self._owners[index] != block:
                    picks.append(self._lines[index])
            self._pools[block] = picks
        return self._pools[block]


def _real(window: Window) -> Example:
    return Example(window.text, 1, REAL, window.group, window.split)


def twins_of(window: Window, snippets: Snippets, kinds: Sequence[str] = KINDS) -> list[Example]:
    """Every applicable corruption of ``window``, one per kind, in ``kinds`` order."""
    pool = snippets.pool(window.block)
    return [Example(c.text, 0, kind, window.group, window.split, window.text)
            for kind in kinds if (c := corrupt(window.text, kind, snippets.seed, pool))]


def epoch_examples(windows: Sequence[Window], snippets: Snippets, epoch: int, *,
                   size: int | None = None, twins: int = 1,
                   kinds: Sequence[str] = KINDS,
                   inapplicable: set[tuple[str, str]] | None = None) -> list[Example]:
    """One epoch of training examples: a seeded sample of ``size`` windows (all of them when
    None or larger), each real and with ``twins`` corruptions of kinds drawn in a seeded order
    (the first ones that apply). Same windows, seed and epoch, same list. ``inapplicable``
    remembers (text, kind) pairs that gave no corruption, so later epochs skip them."""
    rng = random.Random(f"{snippets.seed}\x00epoch\x00{epoch}")
    chosen = list(windows) if size is None or size >= len(windows) else \
        rng.sample(list(windows), size)
    skip = inapplicable if inapplicable is not None else set()
    examples = []
    for window in chosen:
        examples.append(_real(window))
        made = 0
        pool = snippets.pool(window.block)
        for kind in rng.sample(list(kinds), len(kinds)):
            if made == twins:
                break
            if (window.text, kind) in skip:
                continue
            corrupted = corrupt(window.text, kind, snippets.seed, pool)
            if corrupted is None:
                skip.add((window.text, kind))
                continue
            examples.append(Example(corrupted.text, 0, kind, window.group, window.split,
                                    window.text))
            made += 1
    return examples


def eval_examples(windows: Sequence[Window], snippets: Snippets, *,
                  max_windows: int | None = None, kinds: Sequence[str] = KINDS) -> list[Example]:
    """A fixed held-out set: a seeded sample of up to ``max_windows`` windows (all when None),
    each real and with every applicable corruption."""
    chosen = list(windows)
    if max_windows is not None and len(chosen) > max_windows:
        rng = random.Random(f"{snippets.seed}\x00eval\x00{len(chosen)}")
        chosen = sorted(rng.sample(range(len(chosen)), max_windows))
        chosen = [windows[i] for i in chosen]
    examples = []
    for window in chosen:
        examples.append(_real(window))
        examples += twins_of(window, snippets, kinds)
    return examples


def build_examples(documents: Sequence[Document], *, seed: int = 42,
                   window: int = DEFAULT_WINDOW, stride: int = DEFAULT_STRIDE,
                   block_lines: int = DEFAULT_BLOCK_LINES,
                   min_instructions: int = DEFAULT_MIN_INSTRUCTIONS,
                   ratios: Sequence[float] = DEFAULT_RATIOS,
                   kinds: Sequence[str] = KINDS) -> list[Example]:
    """Real windows and one corruption of each applicable kind per window, with splits."""
    snippets = Snippets(documents, seed=seed, windows=(window,), stride=stride,
                        block_lines=block_lines, min_instructions=min_instructions,
                        ratios=ratios)
    return eval_examples(snippets.windows, snippets, kinds=kinds)
