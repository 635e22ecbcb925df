"""The rules every JSONL reader follows, in one place.

- A path that is a folder is ``FILE: is a folder, not a file``; a missing one ``no such file``.
- A UTF-8 byte order mark at the start of the file is dropped (editors on Windows write one).
- A file without a record (empty, or blank lines only) is ``FILE: empty input (no records)``,
  unless the caller says empty is fine (``allow_empty``).
- A line longer than ``max_record_bytes`` is ``FILE:LINE: record is N bytes, over the limit
  of M (max_record_bytes)``, found in bounded memory: the file is read in blocks and a line is
  never held whole past the limit.
- A line that is not UTF-8 is ``FILE:LINE: invalid UTF-8 at byte N``, N counted from the start
  of the file; one that is not JSON is ``FILE:LINE: malformed JSON: …``.

The limit comes from the call, else the ``general.max_record_bytes`` setting
(``AFS_GENERAL_MAX_RECORD_BYTES``, afs.toml), else ``afs.config.DEFAULT_MAX_RECORD_BYTES``.
Only light imports here: readers of every kind use this module.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from afs.atomic_dir import complete_pending_commit
from afs.config import load_config
from afs.errors import ConfigError, DataError

READ_BLOCK_BYTES = 8 << 20
EMPTY_INPUT = "empty input (no records)"
IS_A_FOLDER = "is a folder, not a file"
NO_SUCH_FILE = "no such file"


def invalid_utf8(byte: int) -> str:
    """The one wording of invalid UTF-8, ``byte`` counted from the start of the file."""
    return f"invalid UTF-8 at byte {byte}"


def decode_utf8(data: bytes, path: str | Path | None = None) -> str:
    """The text of a whole file's bytes, a leading BOM dropped; invalid UTF-8 is a DataError
    ``FILE:LINE: invalid UTF-8 at byte N`` (N counted in the file, BOM included)."""
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = bom + exc.start
        raise DataError(invalid_utf8(byte), path=path, line=data.count(b"\n", 0, byte) + 1) \
            from None


def input_file(path: str | Path) -> Path:
    """``path`` (``~`` expanded) when it names something to read; else a DataError that says
    whether it is missing or a folder. A set of outputs ``path`` belongs to that a killed
    writer committed but left half renamed is finished first, so no reader sees a mix."""
    path = Path(path).expanduser()
    complete_pending_commit(path)
    if path.is_dir():
        raise DataError(IS_A_FOLDER, path)
    if not path.exists():
        raise DataError(NO_SUCH_FILE, path)
    return path


def record_limit(max_record_bytes: int | None = None) -> int:
    """The longest line a reader accepts: ``max_record_bytes``, else the setting."""
    if max_record_bytes is None:
        max_record_bytes = load_config().general.max_record_bytes
    if type(max_record_bytes) is not int or max_record_bytes < 1:
        raise ConfigError(f"max_record_bytes must be a positive number of bytes, "
                          f"got {max_record_bytes!r}")
    return max_record_bytes


def oversize_problem(size: int, limit: int) -> str:
    return f"record is {size} bytes, over the limit of {limit} (max_record_bytes)"


@dataclass
class LineBlock:
    """Consecutive lines of a file (without their ``\\n``): ``lines[0]`` is line number
    ``first_line`` and starts at byte ``start`` of the file."""

    lines: list[bytes]
    first_line: int
    start: int

    @property
    def size(self) -> int:
        """Bytes of the file these lines cover (newlines included)."""
        return sum(map(len, self.lines)) + len(self.lines)

    def offset(self, index: int) -> int:
        """Byte offset in the file of ``lines[index]``."""
        return self.start + sum(len(line) + 1 for line in self.lines[:index])


@dataclass
class ByteBlock:
    """Whole consecutive lines of a file as one bytes object (each line's ``\\n`` kept; the
    file's last line may have none): the first is line number ``first_line`` and starts at
    byte ``start`` of the file. Readers that parse a block at once take these as they are."""

    data: bytes
    first_line: int
    start: int

    def line_block(self) -> LineBlock:
        lines = self.data.split(b"\n")
        if self.data.endswith(b"\n"):
            lines.pop()
        return LineBlock(lines, self.first_line, self.start)


def iter_byte_blocks(path: str | Path, *, max_record_bytes: int | None = None,
                     allow_empty: bool = False, block_bytes: int = READ_BLOCK_BYTES,
                     ) -> Iterator[ByteBlock]:
    """The lines of a JSONL file in blocks of about ``block_bytes``, following the module's
    rules (folder, BOM, empty input, record size). Blank lines are kept, so that line
    numbers stay right; parsing is the caller's."""
    path = input_file(path)
    limit = record_limit(max_record_bytes)
    saw_record = False
    line_number, start = 1, 0
    with open(path, "rb") as handle:
        pending = handle.read(len(codecs.BOM_UTF8))
        if pending == codecs.BOM_UTF8:
            pending, start = b"", len(codecs.BOM_UTF8)
        while True:
            data = handle.read(block_bytes)
            buffer = pending + data if pending else data
            if not data:  # the end: what is left is the last line (it has no newline)
                lines, pending = buffer, b""
            else:
                cut = buffer.rfind(b"\n") + 1
                lines, pending = buffer[:cut], buffer[cut:]
            if lines:
                _check_record_sizes(lines, line_number, path, limit)
                saw_record = saw_record or not lines.isspace()
                yield ByteBlock(lines, line_number, start)
                line_number, start = line_number + lines.count(b"\n"), start + len(lines)
            if len(pending) > limit:  # a line still without its end: measure it, never hold it
                size = len(pending) + _bytes_to_line_end(handle)
                raise DataError(oversize_problem(size, limit), path, line_number)
            if not data:
                break
    if not saw_record and not allow_empty:
        raise DataError(EMPTY_INPUT, path)


def iter_line_blocks(path: str | Path, *, max_record_bytes: int | None = None,
                     allow_empty: bool = False, block_bytes: int = READ_BLOCK_BYTES,
                     ) -> Iterator[LineBlock]:
    """Like :func:`iter_byte_blocks`, each block split into its lines."""
    for block in iter_byte_blocks(path, max_record_bytes=max_record_bytes,
                                  allow_empty=allow_empty, block_bytes=block_bytes):
        yield block.line_block()


def line_ends(data: bytes) -> Any:
    """Offset of the end of each line of ``data`` (its ``\\n``, or the end of the data), as
    a numpy array (numpy loads here, not with the module: light readers never get here)."""
    import numpy as np

    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    return ends if data.endswith(b"\n") or not data else np.append(ends, len(data))


def _check_record_sizes(data: bytes, first_line: int, path: Path, limit: int) -> None:
    if len(data) <= limit:
        return
    ends = line_ends(data)
    lengths = ends.copy()
    lengths[1:] -= ends[:-1] + 1  # each line without its newline
    if lengths.max() <= limit:
        return
    index = int((lengths > limit).argmax())
    raise DataError(oversize_problem(int(lengths[index]), limit), path, first_line + index)


def _bytes_to_line_end(handle: Any, block_bytes: int = 1 << 20) -> int:
    """How many bytes the current line still has (up to its newline or the end of file)."""
    count = 0
    while data := handle.read(block_bytes):
        end = data.find(b"\n")
        if end >= 0:
            return count + end
        count += len(data)
    return count


def line_problem(line: bytes, offset: int) -> str:
    """Why a line that orjson refused is not a JSON value; ``offset`` is where the line starts
    in its file, so that the byte named is the file's."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return invalid_utf8(offset + exc.start)
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return f"malformed JSON: {exc}"
    return "unreadable line"


def iter_json_lines(path: str | Path, *, max_record_bytes: int | None = None,
                    allow_empty: bool = False) -> Iterator[tuple[int, Any]]:
    """``(line number, parsed value)`` of each non-blank line of a JSONL file; a line that is
    not JSON is a DataError naming the file and line (and the module's rules hold)."""
    for number, value, _ in iter_json_lines_with_ends(path, max_record_bytes=max_record_bytes,
                                                       allow_empty=allow_empty):
        yield number, value


def iter_json_lines_with_ends(path: str | Path, *, max_record_bytes: int | None = None,
                              allow_empty: bool = False) -> Iterator[tuple[int, Any, int]]:
    """As :func:`iter_json_lines`, each with the bytes of the file read up to the end of its
    line (its newline included): how far a reader is, for a progress bar over the file size
    (which it never passes)."""
    path = Path(path).expanduser()
    size = 0
    for block in iter_line_blocks(path, max_record_bytes=max_record_bytes,
                                  allow_empty=allow_empty):
        size = size or path.stat().st_size  # once the file is known to be there
        end = block.start
        for index, line in enumerate(block.lines):
            end += len(line) + 1
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError:
                raise DataError(line_problem(line, end - len(line) - 1), path,
                                block.first_line + index) from None
            yield block.first_line + index, value, min(end, size)  # the last line: no \n
