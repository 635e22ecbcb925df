"""Split a document into chunks small enough to embed: markdown by heading, assembly by
routine, anything else by size with overlap.

A chunk's ``text`` starts with its title (heading path or routine name), so a section's or a
routine's name is searchable in every piece of it, even after a long one is split by size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from afs.asm.blocks import FENCE

DEFAULT_MAX_CHARS = 1200  # all-MiniLM-L6-v2 reads 256 word pieces: about 1,000-1,200 characters
DEFAULT_OVERLAP = 200

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
ASM_SUFFIXES = frozenset({".asm", ".s", ".inc", ".65s", ".a65"})
TEXT_SUFFIXES = frozenset({".txt", ".rst", ".org", ".adoc"})
DEFAULT_SUFFIXES = MARKDOWN_SUFFIXES | ASM_SUFFIXES | TEXT_SUFFIXES

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
# A routine starts at a global label (``Name:``) or a macro definition in column 0; local
# labels (``.loop``, ``+``, ``-``) stay inside their routine.
ROUTINE = re.compile(r"^(?:([A-Za-z_][\w]*)\s*:|macro\s+([A-Za-z_]\w*)\s*\()")


@dataclass(frozen=True)
class Chunk:
    """One piece of a document: ``text`` is what is embedded and searched."""

    text: str
    title: str
    start_line: int  # 1-based line of the document where the chunk's body starts
    kind: str  # markdown | asm | text


def chunk_kind(path: str | PurePath) -> str:
    """``markdown``, ``asm`` or ``text``, from the file's suffix."""
    suffix = PurePath(path).suffix.lower()
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    if suffix in ASM_SUFFIXES:
        return "asm"
    return "text"


def chunk_document(path: str | PurePath, text: str, max_chars: int = DEFAULT_MAX_CHARS,
                   overlap: int = DEFAULT_OVERLAP) -> list[Chunk]:
    """The chunks of ``text`` by the rule of ``path``'s kind (see the module docstring)."""
    if not 0 <= overlap < max_chars:
        raise ValueError(f"overlap {overlap} must be at least 0 and below max_chars {max_chars}")
    kind = chunk_kind(path)
    if kind == "markdown":
        sections = markdown_sections(text)
    elif kind == "asm":
        sections = asm_routines(text)
    else:
        sections = [("", 1, text)]
    chunks: list[Chunk] = []
    for title, start_line, body in sections:
        for line, piece in split_by_size(body, max_chars, overlap, start_line):
            chunks.append(Chunk(f"{title}\n\n{piece}" if title else piece, title, line, kind))
    return chunks


def markdown_sections(text: str) -> list[tuple[str, int, str]]:
    """``(heading path, first body line, body)`` per section; headings inside code fences are
    body text. A heading path reads ``Top > Sub > Subsub``."""
    sections: list[tuple[str, int, str]] = []
    stack: list[tuple[int, str]] = []
    body: list[str] = []
    body_start, in_fence = 1, False

    def close() -> None:
        if "".join(body).strip():
            sections.append((" > ".join(title for _, title in stack), body_start, "\n".join(body)))

    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else HEADING.match(line)
        if heading is None:
            body.append(line)
            continue
        close()
        level = len(heading.group(1))
        stack = [entry for entry in stack if entry[0] < level] + [(level, heading.group(2))]
        body, body_start = [], number + 1
    close()
    return sections


def asm_routines(text: str) -> list[tuple[str, int, str]]:
    """``(routine name, first line, source)`` per routine; the comment block right above a
    label belongs to its routine, and what precedes the first routine is the file's preamble
    (title ``""``)."""
    lines = text.splitlines()
    starts: list[tuple[int, str]] = []
    for index, line in enumerate(lines):
        match = ROUTINE.match(line)
        if match:
            first = index
            while first > 0 and lines[first - 1].lstrip().startswith(";"):
                first -= 1
            if starts and first <= starts[-1][0]:
                first = index  # no comment block between two labels
            starts.append((first, match.group(1) or match.group(2)))
    bounds = [(0, "")] + starts if not starts or starts[0][0] > 0 else starts
    sections = []
    for (first, name), (end, _) in zip(bounds, [*bounds[1:], (len(lines), "")]):
        source = "\n".join(lines[first:end])
        if source.strip():
            sections.append((name, first + 1, source))
    return sections


def split_by_size(text: str, max_chars: int, overlap: int,
                  first_line: int = 1) -> list[tuple[int, str]]:
    """``(first line, piece)`` pieces of at most ``max_chars`` characters, each repeating the
    last ``overlap`` or so characters of the one before; cuts fall on line ends, else on spaces,
    where possible."""
    stripped = text.lstrip("\n")
    leading = len(text) - len(stripped)  # blank lines dropped in front: line numbers stay true
    text = stripped.rstrip()
    if not text:
        return []
    pieces: list[tuple[int, str]] = []
    start = 0
    while True:
        end = min(len(text), start + max_chars)
        if end < len(text):
            floor = start + max_chars // 2
            cut = max(text.rfind("\n", floor, end), text.rfind(" ", floor, end))
            end = cut + 1 if cut > 0 else end
        piece = text[start:end].strip()
        if piece:
            pieces.append((first_line + leading + text.count("\n", 0, start), piece))
        if end >= len(text):
            return pieces
        next_start = max(end - overlap, start + 1)
        space = text.find(" ", next_start, end)  # start the overlap on a word
        start = space + 1 if 0 <= space < end - 1 else next_start
