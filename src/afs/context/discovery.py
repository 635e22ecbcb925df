"""Find the `.context` folders under a root (``~/src``): one per project, at any depth up to a
limit, skipping ignored and hidden folders and never walking a symlink loop twice.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afs.context.layout import CONTEXT_DIR_NAME, load_metadata_file, safe_metadata_path
from afs.errors import ConfigError, DataError
from afs.safe_fs import is_within, real_path

DEFAULT_IGNORE = ("legacy", "archive", "archives")  # the config's general.discovery_ignore
DEFAULT_MAX_DEPTH = 6

OnError = Callable[[Path, OSError], None]


@dataclass(frozen=True)
class DiscoveredContext:
    """A `.context` folder found under a root, with cheap figures about its contents.

    ``depth`` is the project folder's depth below the root (0: ``root/.context``); ``files``
    and ``bytes`` count regular files (symlinks are not followed); ``name`` is the metadata's
    name, or None when the metadata is missing or unreadable.
    """

    path: Path
    project: Path
    depth: int
    name: str | None
    files: int
    bytes: int
    is_symlink: bool

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "project": str(self.project), "depth": self.depth,
                "name": self.name, "files": self.files, "bytes": self.bytes,
                "is_symlink": self.is_symlink}


def discover_contexts(root: str | Path, ignore: Iterable[str] = DEFAULT_IGNORE,
                      max_depth: int = DEFAULT_MAX_DEPTH, include_hidden: bool = False,
                      on_error: OnError | None = None) -> list[DiscoveredContext]:
    """The `.context` folders under ``root``, sorted by path.

    ``root`` itself is the only result when it is named ``.context``. Otherwise folders down
    to ``max_depth`` levels below ``root`` are searched (0: only ``root/.context``), skipping
    those whose name matches a pattern of ``ignore`` (``fnmatch``, e.g. ``archive*``), hidden
    ones (``.git``, ``.venv``) unless ``include_hidden``, and the insides of `.context`
    folders. Symlinked folders are followed, but each real folder is searched once, so a link
    loop ends. A folder that cannot be listed is passed to ``on_error`` (default: skipped).
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise ConfigError(f"{root}: no such folder to search for {CONTEXT_DIR_NAME} folders")
    if max_depth < 0:
        raise ConfigError(f"max_depth must be 0 or more, not {max_depth}")
    if root.name == CONTEXT_DIR_NAME:
        return [_describe(root, root.parent, 0, root.is_symlink())]
    patterns = tuple(ignore)
    found: list[DiscoveredContext] = []
    seen: set[tuple[int, int]] = set()
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in seen:
                continue  # reached again through a symlink: a loop, or a second way in
            seen.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name, reverse=True)
        except OSError as exc:
            if on_error is not None:
                on_error(folder, exc)
            continue
        for entry in entries:
            if not _is_dir(entry):
                continue
            if entry.name == CONTEXT_DIR_NAME:
                found.append(_describe(Path(entry.path), folder, depth, entry.is_symlink()))
            elif depth < max_depth and _searched(entry.name, patterns, include_hidden):
                stack.append((Path(entry.path), depth + 1))
    return sorted(found, key=lambda context: str(context.path))


def outside_root(context: DiscoveredContext, root: str | Path) -> str | None:
    """Why a command that writes into the contexts found under ``root`` must leave
    ``context`` alone: it was reached through a symlink and really lies outside ``root``.
    None when it lies inside. (Discovery follows symlinked folders to *find* contexts;
    writing stays under the folder the user named.)"""
    real = real_path(context.path)
    if is_within(real, real_path(Path(root).expanduser())):
        return None
    return f"reached through a symlink, it lies outside {root} (at {real}); not written"


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # follows symlinks; a broken link is not a folder
    except OSError:
        return False


def _searched(name: str, patterns: tuple[str, ...], include_hidden: bool) -> bool:
    if name.startswith(".") and not include_hidden:
        return False
    return not any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _describe(path: Path, project: Path, depth: int, is_symlink: bool) -> DiscoveredContext:
    files, size = measure_tree(path)
    return DiscoveredContext(path=path, project=project, depth=depth, name=_metadata_name(path),
                             files=files, bytes=size, is_symlink=is_symlink)


def measure_tree(root: Path) -> tuple[int, int]:
    """(number of regular files, their total size) under ``root``, not following symlinks;
    folders that cannot be listed count as empty (`afs context validate` reports them)."""
    files = size = 0
    stack = [root]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        files += 1
                        size += entry.stat(follow_symlinks=False).st_size
        except OSError:
            continue
    return files, size


def _metadata_name(root: Path) -> str | None:
    try:
        metadata = load_metadata_file(safe_metadata_path(root))
    except (OSError, DataError, ConfigError):  # ConfigError: a link out of the context
        return None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else None
