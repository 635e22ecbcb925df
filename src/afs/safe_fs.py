"""Read and write files without ever leaving a root: the one rule for every reader of a
`.context` (memory, history, payloads, knowledge, embedding indexes, services, agents) and
for every generator's source tree.

The rule: a path is taken only when its real (symlink-free) location is the root or inside
it. For a path that a record names (:meth:`ContextFS.resolve`) absolute paths and ``..``
parts are refused outright; for a tree (:func:`walk_tree`) a symlink is followed only while
its target stays inside the root, a symlink that leads outside, loops or is broken is not
read, and each real folder is read once. A refused path is never silent: it is a
:class:`ContextEscapeError`, or a :class:`Skipped` record with its reason (and a ``kind`` that
`afs context validate` turns into its problem code), so a memory, a log or a cloned
repository cannot make AFS read ``~/.ssh/id_rsa`` into a dataset.
(The check is made when a path is resolved: a folder swapped for a symlink between the check
and the read is out of scope; contexts are not shared with untrusted writers.)

This module imports nothing but ``afs.errors``: the generators' file reader
(``afs.generators.files``) and light commands (`afs context validate`) use it without pulling
in anything else.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath

from afs.atomic_dir import atomic_write
from afs.errors import ConfigError

# Skipped.kind of each refusal of walk_tree (`afs context validate` uses them as problem codes)
ESCAPING = "escaping_symlink"
BROKEN = "broken_symlink"
LOOP = "symlink_loop"
UNREADABLE_DIR = "unreadable_dir"


class ContextEscapeError(ConfigError, PermissionError):
    """A path that would read or write outside the context root."""


@dataclass(frozen=True)
class Skipped:
    """A file or folder that was not used, and why (shown to the user, counted in reports);
    ``kind`` names the refusals of :func:`walk_tree` for machines (``escaping_symlink`` …)."""

    path: str
    reason: str
    kind: str = ""

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def is_within(real: Path, real_root: Path) -> bool:
    """Whether the real (symlink-free) path ``real`` is ``real_root`` or inside it."""
    return real == real_root or real_root in real.parents


def real_path(path: str | os.PathLike[str]) -> Path:
    return Path(os.path.realpath(path))


def outside_reason(path: str | os.PathLike[str], real_root: Path) -> str | None:
    """Why ``path`` must not be read: its real location is outside ``real_root`` (through a
    symlink, or a ``..``); None when it is inside."""
    real = real_path(path)
    return None if is_within(real, real_root) else f"symlink leads outside the root (to {real})"


def walk_tree(root: str | Path, suffixes: Iterable[str] | None = None,
              skipped: list[Skipped] | None = None, *,
              ignore: Callable[[str], bool] | None = None, base: str | Path | None = None
              ) -> Iterator[Path]:
    """Files under ``root`` whose suffix is one of ``suffixes`` (case-insensitive; None: all),
    depth first in name order, as paths under ``root`` (symlinks not resolved). Streams.

    ``root`` is the bound. A symlinked file is read when its target lies inside it. A
    symlinked folder inside it is an alias of a folder the walk reads under its own name, so
    it is not entered (nothing is read twice), unless it leads back to a folder it is in: a
    loop. A symlink that leads outside the root, loops (``a -> b -> a``, ``loop -> ..``) or is
    broken, and a folder that cannot be listed, are not read: each goes to ``skipped`` with
    its reason, path relative to ``base`` (default: ``root``). Refused links to files of
    other suffixes are not reported (they would not be read anyway). ``ignore(name)`` leaves
    entries out quietly (hidden folders, caches)."""
    root = Path(root)
    walk = _TreeWalk(real_path(root), suffixes, skipped if skipped is not None else [],
                     Path(base or root), ignore)
    yield from walk.folder(root)


class _TreeWalk:
    """One walk of :func:`walk_tree`: the bound, the filters and where refusals go."""

    def __init__(self, real_root: Path, suffixes: Iterable[str] | None,
                 skipped: list[Skipped], base: Path, ignore: Callable[[str], bool] | None):
        self.real_root, self.skipped, self.base, self.ignore = real_root, skipped, base, ignore
        self.wanted = None if suffixes is None else {s.lower() for s in suffixes}

    def folder(self, folder: Path) -> Iterator[Path]:
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as error:
            self.skip(folder, f"unreadable folder ({error.strerror or error})", UNREADABLE_DIR)
            return
        for entry in entries:
            if self.ignore is not None and self.ignore(entry.name):
                continue
            path = Path(entry.path)
            if entry.is_symlink():
                if not self.refused_link(path) and os.path.isfile(path) and self.wants(path):
                    yield path
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    yield from self.folder(path)
                elif entry.is_file(follow_symlinks=False) and self.wants(path):
                    yield path
            except OSError as error:
                self.skip(path, f"unreadable ({error.strerror or error})", UNREADABLE_DIR)

    def refused_link(self, path: Path) -> bool:
        """Whether the symlink ``path`` must not be followed (reported when a reader could
        have wanted what it names); a folder alias inside the root is refused quietly."""
        try:
            os.stat(path)
        except OSError as error:
            if error.errno == errno.ELOOP:
                reason = f"symlink loop (the link never resolves: {os.readlink(path)})"
            else:
                reason = "broken symlink"
            if self.wants(path) or not path.suffix:  # no suffix: it may have been a folder
                self.skip(path, reason, BROKEN)
            return True
        reason = outside_reason(path, self.real_root)
        if reason is not None:
            if self.wants(path) or os.path.isdir(path):
                self.skip(path, reason, ESCAPING)
            return True
        if not os.path.isdir(path):
            return False
        target = real_path(path)
        if is_within(real_path(path.parent), target):  # the target holds the link itself
            where = target.relative_to(self.real_root).as_posix()
            self.skip(path, f"symlink loop (leads back to "
                            f"{'the root' if where == '.' else where})", LOOP)
        return True

    def wants(self, path: Path) -> bool:
        return self.wanted is None or path.suffix.lower() in self.wanted

    def skip(self, path: Path, reason: str, kind: str) -> None:
        self.skipped.append(Skipped(self.relative(path), reason, kind))

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.base).as_posix() or "."
        except ValueError:
            return str(path)


class ContextFS:
    """The files of one context folder (or of one of its folders: the bound is whatever
    ``root`` is), addressed by paths relative to ``root``."""

    def __init__(self, root: str | Path):
        root = Path(root).expanduser()
        if not root.is_dir():
            raise ConfigError(f"{root}: not a folder (a context root must exist)")
        self.root = root
        self.real_root = real_path(root)

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
        real = real_path(self.real_root / pure)
        if not self.contains(real):
            raise ContextEscapeError(f"{text}: a symlink leads outside the context root "
                                     f"{self.root} (to {real})")
        return real

    def contains(self, real: Path) -> bool:
        """Whether the real (symlink-free) path ``real`` is the root or inside it."""
        return is_within(real, self.real_root)

    def exists(self, relative: str | os.PathLike[str]) -> bool:
        return self.resolve(relative).exists()

    def read_bytes(self, relative: str | os.PathLike[str]) -> bytes:
        return self.resolve(relative).read_bytes()

    def read_text(self, relative: str | os.PathLike[str], encoding: str = "utf-8") -> str:
        return self.resolve(relative).read_text(encoding=encoding)

    def write_text(self, relative: str | os.PathLike[str], text: str,
                   encoding: str = "utf-8") -> Path:
        """Write ``text`` atomically (temp file + rename), creating parent folders."""
        target = self.resolve(relative)
        if target == self.real_root:
            raise ContextEscapeError(f"{os.fspath(relative)!r}: names the context root itself")
        with atomic_write(target, "wb") as handle:
            handle.write(text.encode(encoding))
        return target

    def walk(self, sub: str | os.PathLike[str] = "", suffixes: Iterable[str] | None = None,
             skipped: list[Skipped] | None = None,
             ignore: Callable[[str], bool] | None = None) -> Iterator[Path]:
        """The files under the folder ``sub`` (see :func:`walk_tree`: ``sub`` is the bound, so
        a reader of ``memory/`` never wanders into the rest of the context), as paths under
        ``root``; refusals go to ``skipped`` with paths relative to ``root``."""
        start = self.resolve(sub)
        if not start.is_dir():
            raise ConfigError(f"{self.root / os.fspath(sub)}: not a folder")
        yield from walk_tree(self.root / os.fspath(sub), suffixes, skipped, ignore=ignore,
                             base=self.root)

    def iter_files(self, sub: str | os.PathLike[str] = "",
                   skipped: list[Skipped] | None = None) -> Iterator[Path]:
        """Paths (relative to the root) of the files under ``sub``, as :meth:`walk` finds
        them."""
        for path in self.walk(sub, skipped=skipped):
            yield path.relative_to(self.root)
