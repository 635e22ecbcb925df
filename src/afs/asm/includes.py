"""The files one validation reads: the validated text and the files its `incsrc`/`incbin` reach.

asar looks for an included file next to the file that includes it, then in its include
directories (`-I`), then in the working directory; the validator follows the same order. Each
file gets a number (0 for the validated text) and a statement carries its file in its line
number (``line + (number << FILE_SHIFT)``): statements are copied and re-made in many places
(labels taken off, defines and macro arguments substituted, deferred checks), and the line is
the one field every copy keeps, so an issue found at the end of the run still knows its file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from afs.asm.diagnostics import ValidationIssue

FILE_SHIFT = 24  # 16 million lines per file
_LINE_MASK = (1 << FILE_SHIFT) - 1


def strip_quotes(name: str) -> str:
    return name[1:-1] if len(name) >= 2 and name[0] == name[-1] == '"' else name


class SourceFiles:
    """The validated text (number 0, at ``path`` when it came from a file) and the files read
    for it. Names are shown as reached from ``path`` (`src/main.asm` includes `menu.asm`:
    `src/menu.asm`), so a user can open them from where they ran the command."""

    def __init__(self, path: str | os.PathLike | None = None,
                 include_dirs: Iterable[str | os.PathLike] = ()):
        self.names = [os.fspath(path) if path is not None else ""]
        self.paths: list[Path | None] = [Path(path).resolve() if path is not None else None]
        self.include_dirs = [Path(d) for d in include_dirs]
        self.reading: list[int] = [0]  # the files being read, innermost last (cycle guard)
        self.once: set[int] = set()    # files that said `includeonce`
        self.lines = 0                 # lines of the included files, each counted once

    @property
    def following(self) -> bool:
        """Whether includes are followed: only from a text whose file is known."""
        return self.paths[0] is not None

    @property
    def current(self) -> int:
        return self.reading[-1]

    def find(self, name: str) -> tuple[Path, str] | None:
        """(path, name to show) of the file ``name`` that the current file includes, looked
        for where asar looks; None when it is in none of those places."""
        including = self.paths[self.current]
        shown_dir = os.path.dirname(self.names[self.current])
        places = [(including.parent, shown_dir)] if including is not None else []
        places += [(d, os.fspath(d)) for d in self.include_dirs]
        try:
            places.append((Path.cwd(), ""))
        except OSError:  # the working directory is gone: nothing to find there
            pass
        for directory, shown in places:
            candidate = directory / name
            if candidate.is_file():
                return candidate.resolve(), os.path.normpath(os.path.join(shown, name))
        return None

    def number(self, path: Path, shown: str) -> tuple[int, bool]:
        """The number of the file at ``path`` and whether it is new (its lines not counted
        yet)."""
        if path in self.paths:
            return self.paths.index(path), False
        self.paths.append(path)
        self.names.append(shown)
        return len(self.paths) - 1, True

    def cycle(self, number: int) -> list[str] | None:
        """The chain of names through which file ``number`` would include itself, or None."""
        if number not in self.reading:
            return None
        return [self.names[n] for n in self.reading[self.reading.index(number):]] + \
            [self.names[number]]

    @staticmethod
    def line_in(number: int, line: int) -> int:
        """The line number a statement of file ``number`` carries."""
        return line + (number << FILE_SHIFT)

    def where(self, line: int) -> tuple[str, int]:
        """(file name, 1-based line in it) of a carried line number; "" for the text."""
        number = line >> FILE_SHIFT
        return (self.names[number] if number else ""), line & _LINE_MASK

    def located(self, issue: ValidationIssue) -> ValidationIssue:
        """``issue`` with its file named and its line that of the file."""
        if issue.line <= _LINE_MASK:
            return issue
        name, line = self.where(issue.line)
        return issue._replace(line=line, file=name)
