"""Check a `.context` folder: its standard folders, its metadata and every file in it.

Each problem has a code (``PROBLEM_CODES``), the path it is about and a one-line message;
`afs context validate` prints them as ``path: code: message``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afs.context.layout import (
    CONTEXT_DIRS,
    METADATA_FILE,
    load_metadata_file,
    metadata_problems,
    safe_metadata_path,
)
from afs.errors import ConfigError, DataError
from afs.safe_fs import BROKEN, UNREADABLE_DIR, ContextEscapeError, Skipped, walk_tree

PROBLEM_CODES = {
    "missing_dir": "a standard folder is missing (`afs context ensure-all` creates it)",
    "not_a_dir": "a standard folder's name is taken by something that is not a folder",
    "missing_metadata": f"there is no {METADATA_FILE} (`afs context ensure-all` writes one)",
    "bad_metadata": f"{METADATA_FILE} is not JSON or lacks or has a bad field",
    "unreadable_file": "a file cannot be opened for reading",
    "unreadable_dir": "a folder cannot be listed",
    "broken_symlink": "a symlink whose target does not exist (or loops)",
    "escaping_symlink": "a symlink that resolves outside the context root",
    "symlink_loop": "a symlinked folder that leads back to a folder it is in",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a context."""

    path: Path
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.code}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "code": self.code, "message": self.message}


def validate_context(path: str | Path) -> list[Problem]:
    """Every problem of the context folder ``path``, sorted by path (empty when it is fine).

    A ``path`` that is missing or not a folder is a ConfigError, not a problem list.
    """
    root = Path(path).expanduser()
    if not root.is_dir():
        raise ConfigError(f"{root}: no such context folder")
    problems = _layout_problems(root) + _metadata_problems(root) + _tree_problems(root)
    return sorted(problems, key=lambda problem: (str(problem.path), problem.code))


def _layout_problems(root: Path) -> list[Problem]:
    problems = []
    for name in CONTEXT_DIRS:
        folder = root / name
        if folder.is_dir():
            continue
        if os.path.lexists(folder):
            if not folder.is_symlink():  # a broken link is reported by the tree walk
                problems.append(Problem(folder, "not_a_dir", "exists but is not a folder"))
        else:
            problems.append(Problem(folder, "missing_dir", "standard folder is missing"))
    return problems


def _metadata_problems(root: Path) -> list[Problem]:
    path = root / METADATA_FILE
    if not os.path.lexists(path):
        return [Problem(path, "missing_metadata", f"no {METADATA_FILE}")]
    try:
        safe_metadata_path(root)
    except ContextEscapeError:
        return []  # a link out of the context: not read; the tree walk reports it
    try:
        metadata = load_metadata_file(path)
    except DataError as exc:
        where = f"line {exc.line}: " if exc.line is not None else ""
        return [Problem(path, "bad_metadata", where + exc.problem)]
    except OSError as exc:
        if os.path.exists(path):  # (a broken link is reported by the tree walk)
            return [Problem(path, "unreadable_file", exc.strerror or str(exc))]
        return []
    return [Problem(path, "bad_metadata", problem) for problem in metadata_problems(metadata)]


def _tree_problems(root: Path) -> list[Problem]:
    """What the context readers refuse, walked by the same rule they use (``walk_tree``):
    symlinks that break, loop or escape and folders that cannot be listed; and files that
    cannot be opened. (A symlinked folder inside the context is an alias: no problem.)"""
    refused: list[Skipped] = []
    problems = [problem for path in walk_tree(root, None, refused) for problem in _unreadable(path)]
    for item in refused:
        path = root / item.path
        problems.append(Problem(path, item.kind, _refusal_message(path, item)))
    return problems


def _refusal_message(path: Path, item: Skipped) -> str:
    if item.kind == BROKEN:
        target = os.readlink(path)
        why = "loops" if "loop" in item.reason else "points to a missing target"
        return f"{why} ({target})"
    if item.kind == UNREADABLE_DIR:
        return item.reason
    return f"{item.reason}; context reads refuse it"


def _unreadable(path: Path) -> list[Problem]:
    if not os.path.isfile(path):  # sockets, fifos: nothing to open
        return []
    try:
        os.close(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))
    except OSError as exc:
        return [Problem(path, "unreadable_file", exc.strerror or str(exc))]
    return []
