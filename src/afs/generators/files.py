"""Reading real source trees without falling over: files in a stable order, symlink loops,
unreadable files, other encodings, CRLF and huge files are handled here, once, for every
generator. A file that cannot be used is *skipped with a reason* (``Skipped``), never a crash.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_BYTES = 8 * 1024 * 1024  # a source file larger than this is not hand-written code


@dataclass(frozen=True)
class Skipped:
    """A file a generator could not use, and why (shown to the user, counted in reports)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class SkipFile(Exception):
    """Raised by ``read_source`` when a file cannot be used; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def walk_files(root: Path, suffixes: Iterable[str], skipped: list[Skipped] | None = None
               ) -> Iterator[Path]:
    """Files under ``root`` whose suffix is one of ``suffixes`` (case-insensitive), in sorted
    order, following symlinked folders but never into a loop. Unreadable folders and loops go
    to ``skipped``. Streams: memory does not grow with the number of files."""
    wanted = {s.lower() for s in suffixes}
    seen: set[tuple[int, int]] = set()
    yield from _walk(Path(root), wanted, seen, skipped if skipped is not None else [], root)


def _walk(folder: Path, wanted: set[str], seen: set, skipped: list[Skipped], root: Path
          ) -> Iterator[Path]:
    try:
        identity = os.stat(folder)
        key = (identity.st_dev, identity.st_ino)
        if key in seen:
            skipped.append(Skipped(_relative(folder, root), "symlink loop (folder already read)"))
            return
        seen.add(key)
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as error:
        skipped.append(Skipped(_relative(folder, root), f"unreadable folder ({error.strerror})"))
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()  # follows symlinks
            is_file = not is_dir and entry.is_file()
        except OSError as error:
            skipped.append(Skipped(_relative(path, root), f"unreadable ({error.strerror})"))
            continue
        if is_dir:
            yield from _walk(path, wanted, seen, skipped, root)
        elif is_file and path.suffix.lower() in wanted:
            yield path
        elif entry.is_symlink() and not is_file and path.suffix.lower() in wanted:
            skipped.append(Skipped(_relative(path, root), "broken symlink"))


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


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
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SkipFile(f"not UTF-8 (byte {data[error.start]:#04x} at offset {error.start})") \
            from None
    return text.replace("\r\n", "\n").replace("\r", "\n")
