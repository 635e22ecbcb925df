"""asar source text as statements: comments, line continuations and ` : ` separators.

asar reads a physical line, drops the `;` comment (a `;` inside a string or a character literal
is text), joins the next line when one ends with `\\` (the backslash goes) or `,` (the comma
stays), and splits the result on ` : ` (a colon with a space on each side) into statements.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_COMMENT_OR_QUOTE = re.compile(r"[;\"']")
_SEPARATOR = re.compile(r"\s:\s|\s:$")


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement: its 1-based line, 1-based column and text (no comment, no padding)."""

    line: int
    column: int
    text: str


def strip_comment(line: str) -> str:
    """``line`` without its `;` comment; quotes are honoured so `db ";"` keeps its text."""
    if ";" not in line:
        return line
    position = 0
    while (match := _COMMENT_OR_QUOTE.search(line, position)) is not None:
        char = match.group()
        if char == ";":
            return line[:match.start()]
        if char == "'" and line[match.start() + 2:match.start() + 3] == "'":
            position = match.start() + 3  # a character literal such as ';'
            continue
        if char == "'":
            position = match.start() + 1
            continue
        closing = line.find('"', match.start() + 1)
        if closing < 0:
            return line
        position = closing + 1
    return line


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of each logical line, comments removed and continuations joined;
    the number is that of the first physical line."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = strip_comment(raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1] if not pending else line[:-1].lstrip())
            continue
        if line.endswith(",") and line.strip():
            pending.append(line if not pending else line.lstrip())
            continue
        if pending:
            pending.append(line.lstrip())
            line = "".join(pending)
            pending = []
        yield start, line
    if pending:
        yield start, "".join(pending)


def split_statements(line_number: int, line: str) -> list[Statement]:
    """The statements of one logical line (split on ` : ` outside quotes)."""
    stripped = line.strip()
    if not stripped:
        return []
    if ":" not in line or _SEPARATOR.search(line) is None:
        return [Statement(line_number, len(line) - len(line.lstrip()) + 1, stripped)]
    statements, start = [], 0
    for end in _separator_positions(line):
        _append(statements, line_number, line, start, end)
        start = end + 2
    _append(statements, line_number, line, start, len(line))
    if line.rstrip().endswith(" :") or line.rstrip().endswith("\t:"):
        # asar reads a trailing ` :` as a command of its own, which does not exist
        statements.append(Statement(line_number, len(line.rstrip()), ":"))
    return statements


def _separator_positions(line: str) -> Iterator[int]:
    quote = None
    for index, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char == '"':
            quote = char
        elif char == ":" and index > 0 and line[index - 1].isspace() \
                and (index + 1 == len(line) or line[index + 1].isspace()):
            yield index - 1


def _append(statements: list[Statement], number: int, line: str, start: int, end: int) -> None:
    piece = line[start:end]
    text = piece.strip()
    if text:
        statements.append(Statement(number, start + len(piece) - len(piece.lstrip()) + 1, text))


def split_arguments(text: str) -> list[str]:
    """Comma-separated arguments, ignoring commas inside quotes, parentheses and brackets."""
    arguments, depth, quote, start = [], 0, None, 0
    for index, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char == '"':
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            arguments.append(text[start:index].strip())
            start = index + 1
    arguments.append(text[start:].strip())
    return arguments
