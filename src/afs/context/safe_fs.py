"""Read and write files of a context without ever leaving its root.

Every path given to :class:`ContextFS` is relative to the context root. Absolute paths, ``..``
parts and symlinks that resolve outside the root are refused with a
:class:`ContextEscapeError`, so memory, history or an agent's tool call cannot be used to read
``~/.ssh/id_rsa`` through the context. Symlinks that stay inside the root are followed.
(The check is made when a path is resolved: a folder swapped for a symlink between the check
and the read is out of scope; contexts are not shared with untrusted writers.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePath

from afs.errors import ConfigError


class ContextEscapeError(ConfigError, PermissionError):
    """A path that would read or write outside the context root."""


class ContextFS:
    """The files of one context folder, addressed by paths relative to ``root``."""

    def __init__(self, root: str | Path):
        root = Path(root).expanduser()
        if not root.is_dir():
            raise ConfigError(f"{root}: not a folder (a context root must exist)")
        self.root = root
        self.real_root = Path(os.path.realpath(root))

    def __repr__(self) -> str:
        return f"ContextFS({str(self.root)!r})"

    def resolve(self, relative: str | os.PathLike[str]) -> Path:
        """The real path of ``relative`` inside the root (which need not exist yet), or a
        ContextEscapeError when it is absolute, has a ``..`` part or leaves the root through a
        symlink."""
        text = os.fspath(relative)
        if not isinstance(text, str) or "\x00" in text:
            raise ContextEscapeError(f"{text!r}: not a valid relative path")
        pure = PurePath(text)
        if pure.is_absolute() or pure.anchor:
            raise ContextEscapeError(f"{text}: absolute paths are refused; give a path "
                                     f"relative to the context root {self.root}")
        if ".." in pure.parts:
            raise ContextEscapeError(f"{text}: '..' is refused (it may leave the context "
                                     f"root {self.root})")
        real = Path(os.path.realpath(self.real_root / pure))
        if not self.contains(real):
            raise ContextEscapeError(f"{text}: a symlink leads outside the context root "
                                     f"{self.root} (to {real})")
        return real

    def contains(self, real: Path) -> bool:
        """Whether the real (symlink-free) path ``real`` is the root or inside it."""
        return real == self.real_root or self.real_root in real.parents

    def exists(self, relative: str | os.PathLike[str]) -> bool:
        return self.resolve(relative).exists()

    def read_bytes(self, relative: str | os.PathLike[str]) -> bytes:
        return self.resolve(relative).read_bytes()

    def read_text(self, relative: str | os.PathLike[str], encoding: str = "utf-8") -> str:
        return self.resolve(relative).read_text(encoding=encoding)

    def write_text(self, relative: str | os.PathLike[str], text: str,
                   encoding: str = "utf-8") -> Path:
        """Write ``text`` atomically (temp file + rename), creating parent folders."""
        from afs.atomic_dir import atomic_write

        target = self.resolve(relative)
        if target == self.real_root:
            raise ContextEscapeError(f"{os.fspath(relative)!r}: names the context root itself")
        with atomic_write(target, "wb") as handle:
            handle.write(text.encode(encoding))
        return target

    def iter_files(self, sub: str | os.PathLike[str] = "") -> Iterator[Path]:
        """Paths (relative to the root, sorted) of the files under ``sub``. Symlinked files are
        listed when they resolve inside the root; symlinked folders are not entered, and
        broken or escaping symlinks are left out (`afs context validate` reports them)."""
        start = self.resolve(sub)
        if not start.is_dir():
            raise ConfigError(f"{self.root / os.fspath(sub)}: not a folder")
        stack = [start]
        found: list[Path] = []
        while stack:
            folder = stack.pop()
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_symlink():
                        real = Path(os.path.realpath(entry.path))
                        if real.is_file() and self.contains(real):
                            found.append(Path(entry.path))
                    elif entry.is_dir():
                        stack.append(Path(entry.path))
                    elif entry.is_file():
                        found.append(Path(entry.path))
        yield from sorted(path.relative_to(self.real_root) for path in found)
