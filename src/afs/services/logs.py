"""A service's log file: one ``<UTC time> <name>: <message>`` line per event, appended (so it
may be truncated at any time), read back by `afs services logs NAME [-n N] [--follow]`."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from afs.services.state import now_text

BLOCK = 8192
FOLLOW_POLL_S = 0.5


def format_log_lines(name: str, message: str) -> list[str]:
    """``message`` (maybe several lines, e.g. a traceback) as log lines."""
    stamp = now_text()
    return [f"{stamp} {name}: {line}" for line in message.splitlines() or [""]]


def append_log_line(path: Path, name: str, message: str) -> None:
    """Add ``message`` to the log at ``path`` (written by someone other than the runner)."""
    with path.open("a") as handle:
        handle.write("\n".join(format_log_lines(name, message)) + "\n")


def tail_lines(path: Path, count: int) -> list[str]:
    """The last ``count`` lines of ``path`` (fewer if it is shorter; none if it is missing),
    read from the end so a large log costs no more than a small one."""
    if count <= 0:
        return []
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return []
    with handle:
        position = handle.seek(0, os.SEEK_END)
        data = b""
        while position > 0 and data.count(b"\n") <= count:
            start = max(0, position - BLOCK)
            handle.seek(start)
            data = handle.read(position - start) + data
            position = start
    lines = data.decode(errors="replace").splitlines()
    return lines[-count:]


def follow_lines(path: Path, keep_going: Callable[[], bool] = lambda: True,
                 poll_s: float = FOLLOW_POLL_S) -> Iterator[str]:
    """Lines appended to ``path`` from now on, while ``keep_going()``; starts over when the
    file is truncated or replaced."""
    position = path.stat().st_size if path.exists() else 0
    pending = b""
    while keep_going():
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size < position:  # truncated or rotated: read the new file from its start
            position, pending = 0, b""
        if size > position:
            with path.open("rb") as handle:
                handle.seek(position)
                chunk = handle.read(size - position)
            position += len(chunk)
            *complete, pending = (pending + chunk).split(b"\n")
            yield from (line.decode(errors="replace") for line in complete)
        else:
            time.sleep(poll_s)
