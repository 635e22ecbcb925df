"""Write a file or a whole folder atomically: build it in a hidden sibling, then rename it
into place. A crash while writing leaves the old file or folder (or none), never a
half-written one. Light on purpose (stdlib only): everything that writes imports it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def current_umask() -> int:
    """The process umask (reading it means setting it: set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def give_default_mode(path: str | Path) -> None:
    """Give a file or folder made by ``mkstemp``/``mkdtemp`` (0600/0700, private) the mode a
    plain ``open``/``mkdir`` would have given it, before it is moved into place."""
    base = 0o777 if Path(path).is_dir() else 0o666
    os.chmod(path, base & ~current_umask())


def install_directory(staging: str | Path, output_dir: str | Path) -> None:
    """Move the finished ``staging`` folder to ``output_dir`` (replacing an old one)."""
    staging, output_dir = Path(staging), Path(output_dir)
    give_default_mode(staging)
    old = None
    if output_dir.exists():
        old = output_dir.with_name(f".{output_dir.name}.old-{os.getpid()}")
        os.replace(output_dir, old)
    os.replace(staging, output_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def atomic_directory(output_dir: str | Path) -> Iterator[Path]:
    """Yield an empty staging folder beside ``output_dir``; on success it becomes
    ``output_dir``, on an error it is removed and ``output_dir`` is left as it was."""
    output_dir = Path(output_dir).expanduser()
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.tmp-", dir=output_dir.parent))
    try:
        yield staging
        install_directory(staging, output_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """Write to a temp file beside ``path`` and move it into place only on success."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
        give_default_mode(temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
