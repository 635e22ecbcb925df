"""Reading real source trees without falling over or leaving them: files in a stable order,
symlinks that leave the tree or loop, unreadable files, other encodings, CRLF and huge files
are handled here, once, for every generator. A file that cannot be used is *skipped with a
reason* (``Skipped``), never a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from afs.errors import DataError
from afs.jsonl_input import decode_utf8

# the tree rule and the skip record live with the context reader, in one place
from afs.safe_fs import Skipped, walk_tree

__all__ = ["DEFAULT_MAX_BYTES", "SkipFile", "Skipped", "read_source", "walk_files"]

DEFAULT_MAX_BYTES = 8 * 1024 * 1024  # a source file larger than this is not hand-written code


class SkipFile(Exception):
    """Raised by ``read_source`` when a file cannot be used; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def walk_files(root: Path, suffixes: Iterable[str], skipped: list[Skipped] | None = None
               ) -> Iterator[Path]:
    """Files under ``root`` whose suffix is one of ``suffixes`` (case-insensitive), in sorted
    order, streamed. The tree rule of every reader (``afs.safe_fs.walk_tree``): a
    symlink is followed only while it stays inside ``root``; one that leads outside, loops or
    is broken, and unreadable folders, go to ``skipped`` with the reason. A cloned repository
    may hold a symlink to ``~/.ssh`` or an agent's memory, and what is read here ends up in a
    dataset that gets shared."""
    return walk_tree(root, suffixes, skipped)


def read_source(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The text of a UTF-8 source file (a BOM is dropped) with `\\n` line ends (CRLF and CR
    converted). Raises SkipFile for a file that is too large, binary, not UTF-8 or
    unreadable: guessing another encoding would put mojibake in a dataset."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SkipFile(f"too large ({size:,} bytes; limit {max_bytes:,})")
        data = path.read_bytes()
    except OSError as error:
        raise SkipFile(f"unreadable ({error.strerror or error})") from None
    if b"\0" in data:
        raise SkipFile("binary file (NUL bytes)")
    try:
        text = decode_utf8(data)
    except DataError as error:
        raise SkipFile(f"line {error.line}: {error.problem}") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")
