"""Check a `.context` folder: its standard folders, its metadata and every file in it.

Each problem has a code (``PROBLEM_CODES``), the path it is about and a one-line message;
`afs context validate` prints them as ``path: code: message``.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afs.context.layout import (
    CONTEXT_DIRS,
    METADATA_FILE,
    load_metadata_file,
    metadata_problems,
)
from afs.errors import ConfigError, DataError

PROBLEM_CODES = {
    "missing_dir": "a standard folder is missing (`afs context ensure-all` creates it)",
    "not_a_dir": "a standard folder's name is taken by something that is not a folder",
    "missing_metadata": f"there is no {METADATA_FILE} (`afs context ensure-all` writes one)",
    "bad_metadata": f"{METADATA_FILE} is not JSON or lacks or has a bad field",
    "unreadable_file": "a file cannot be opened for reading",
    "unreadable_dir": "a folder cannot be listed",
    "broken_symlink": "a symlink whose target does not exist (or loops)",
    "escaping_symlink": "a symlink that resolves outside the context root",
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
    """Symlinks that break or escape, and files or folders that cannot be read. Symlinked
    folders are checked but not entered (their target is inside the root, and walked there)."""
    real_root = Path(os.path.realpath(root))
    problems: list[Problem] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            problems.append(Problem(folder, "unreadable_dir", exc.strerror or str(exc)))
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.is_symlink():
                problem = _symlink_problem(path, real_root)
                if problem is not None:
                    problems.append(problem)
                elif os.path.isfile(path):
                    problems.extend(_unreadable(path))
            elif entry.is_dir():
                stack.append(path)
            else:
                problems.extend(_unreadable(path))
    return problems


def _symlink_problem(path: Path, real_root: Path) -> Problem | None:
    target = os.readlink(path)
    try:
        os.stat(path)
    except OSError as exc:
        why = "loops" if exc.errno == errno.ELOOP else "points to a missing target"
        return Problem(path, "broken_symlink", f"{why} ({target})")
    real = Path(os.path.realpath(path))
    if real != real_root and real_root not in real.parents:
        return Problem(path, "escaping_symlink",
                       f"resolves outside the context to {real}; context reads refuse it")
    return None


def _unreadable(path: Path) -> list[Problem]:
    if not os.path.isfile(path):  # sockets, fifos: nothing to open
        return []
    try:
        os.close(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))
    except OSError as exc:
        return [Problem(path, "unreadable_file", exc.strerror or str(exc))]
    return []
