"""Real asm snippets and their corrupted twins, split without leaks.

A document (an .asm file, or the asm in a sample's output) is cut into routine-sized blocks
of ``block_lines`` non-blank lines; windows of ``window`` consecutive lines are taken inside a
block, every ``stride`` lines. A block, its windows and every corruption of them share one
split, picked by a seeded hash of the block's text: no real line and no twin of it is seen in
training and scored in test. Windows with fewer than ``min_instructions`` instructions are
skipped (comment headers, tables).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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


def windows_of(block: Sequence[str], window: int = DEFAULT_WINDOW, stride: int = DEFAULT_STRIDE,
               min_instructions: int = DEFAULT_MIN_INSTRUCTIONS) -> list[str]:
    """Snippets of ``window`` lines inside ``block`` (dedented), every ``stride`` lines."""
    import textwrap

    starts = range(0, max(len(block) - window, 0) + 1, stride)
    snippets = []
    for start in starts:
        lines = list(block[start:start + window])
        if len(instruction_spans(lines)) >= min_instructions:
            snippets.append(textwrap.dedent("\n".join(lines)))
    return snippets


def build_examples(documents: Sequence[Document], *, seed: int = 42,
                   window: int = DEFAULT_WINDOW, stride: int = DEFAULT_STRIDE,
                   block_lines: int = DEFAULT_BLOCK_LINES,
                   min_instructions: int = DEFAULT_MIN_INSTRUCTIONS,
                   ratios: Sequence[float] = DEFAULT_RATIOS,
                   kinds: Sequence[str] = KINDS) -> list[Example]:
    """Real windows and one corruption of each applicable kind per window, with splits."""
    blocks = [(document.name, block) for document in documents
              for block in blocks_of(document.text, block_lines)]
    instruction_lines = [(number, block[st.index]) for number, (_, block) in enumerate(blocks)
                         for st in instruction_spans(block)]
    examples = []
    for number, (name, block) in enumerate(blocks):
        key = hashlib.sha256("\n".join(block).encode("utf-8")).hexdigest()
        split = split_of(key, seed, ratios)
        rng = random.Random(f"{seed}\x00pool\x00{key}")
        # lines of other routines for `foreign_line`, a seeded sample of them per block
        others = [line for owner, line in instruction_lines if owner != number]
        pool = rng.sample(others, min(64, len(others)))
        for snippet in windows_of(block, window, stride, min_instructions):
            examples.append(Example(snippet, 1, REAL, key, split))
            for kind in kinds:
                corrupted = corrupt(snippet, kind, seed, pool)
                if corrupted is not None:
                    examples.append(Example(corrupted.text, 0, kind, key, split, snippet))
    return examples
