"""asar source text as statements: comments, line continuations and ` : ` separators.

asar reads a physical line, drops the `;` comment (a `;` inside a string or a character literal
is text), joins the next line when one ends with `\\` (the backslash goes) or `,` (the comma
stays), and splits the result on ` : ` (a colon with a space on each side) into statements.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

_COMMENT_OR_QUOTE = re.compile(r"[;\"']")
_SEPARATOR = re.compile(r"\s:\s|\s:$")
# label definitions at the start of a statement: `Main:`, `.loop`, `..sub:`, `+`, `--`, `?l:`
MAIN_LABEL = re.compile(r"(#?\??)([A-Za-z0-9_][A-Za-z0-9_.]*):(?=\s|$)")
SUB_LABEL = re.compile(r"(#?\??)(\.+)([A-Za-z0-9_]+):?(?=\s|$)")
ANONYMOUS_LABEL = re.compile(r"(\??)(\++|-+):?(?=\s|$)")
# `MNEMONIC[.size] [operand]`: asar splits on spaces, so an operand is one word
INSTRUCTION = re.compile(r"([A-Za-z]{3}(?:\.[A-Za-z]+)?)(?:\s+(\S+))?$")
_COMMA_SPACE = re.compile(r",\s+")
_CONTINUED = ("\\", ",")  # a line ending so goes on on the next one
# Lines and statements recur across texts (the same instructions, comments, doc lines), so the
# readings that depend on their text alone are cached, each cache keeping this many texts: the
# recurring ones stay, and memory stays flat however large the corpus (a few hundred KB in all).
TEXT_CACHE_SIZE = 512


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement: its 1-based line, 1-based column and text (no comment, no padding)."""

    line: int
    column: int
    text: str


def strip_comment(line: str) -> str:
    """``line`` without its `;` comment; quotes are honoured so `db ";"` keeps its text.
    `;@` starts no comment: asar reads it as `@`, the (deprecated) prefix of a command
    hidden from xkas (`;@ pushpc` is a pushpc)."""
    if ";" not in line:
        return line
    position = 0
    while (match := _COMMENT_OR_QUOTE.search(line, position)) is not None:
        char = match.group()
        if char == ";" and line[match.start() + 1:match.start() + 2] == "@":
            line = line[:match.start()] + line[match.start() + 1:]
            position = match.start() + 1
            continue
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
        line = _uncommented(raw)
        if not pending:
            if not line.endswith(_CONTINUED):  # the common case: a line of its own
                yield number, line
                continue
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1] if not pending else line[:-1].lstrip())
            continue
        if line.endswith(","):
            pending.append(line if not pending else line.lstrip())
            continue
        pending.append(line.lstrip())
        yield start, "".join(pending)
        pending = []
    if pending:
        yield start, "".join(pending)


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def _uncommented(raw: str) -> str:
    """A physical line without its comment and trailing blanks (cached: see TEXT_CACHE_SIZE;
    a `STZ $0E20,X ; the sprite type id` comes back in routine after routine)."""
    return strip_comment(raw).rstrip()


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


def statements(text: str) -> list[Statement]:
    """Every statement of ``text`` in order: its logical lines split on ` : `. The one parse
    that ``validate`` and ``extract_entities`` can share (see their ``statements``)."""
    return [Statement(number, column, piece) for number, line in logical_lines(text)
            for column, piece in _pieces(line)]


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def _pieces(line: str) -> tuple[tuple[int, str], ...]:
    """(column, text) of the statements of one logical line (cached: see TEXT_CACHE_SIZE; the
    split does not depend on the line's number)."""
    return tuple((statement.column, statement.text) for statement in split_statements(0, line))


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


def without_labels(text: str) -> str:
    """A statement without the label definitions in front of it."""
    while True:
        match = MAIN_LABEL.match(text) or SUB_LABEL.match(text) or ANONYMOUS_LABEL.match(text)
        if match is None:
            return text
        text = text[match.end():].lstrip()


def compact_commas(text: str) -> str:
    """asar drops whitespace after a comma: `LDA $12, X` is `LDA $12,X`."""
    return _COMMA_SPACE.sub(",", text) if ", " in text or ",\t" in text else text


@dataclass(frozen=True, slots=True)
class Instruction:
    """An instruction statement as written: line, mnemonic (with its suffix) and operand."""

    line: int
    word: str
    operand: str


def instructions(text: str, mnemonics: frozenset[str]) -> Iterator[Instruction]:
    """The instructions of asar source ``text`` (labels, directives, macros skipped), for
    readers that need no validation (entity extraction, statistics)."""
    return statement_instructions(statements(text), mnemonics)


def statement_instructions(parsed: Iterable[Statement], mnemonics: frozenset[str],
                           ) -> Iterator[Instruction]:
    """``instructions`` over statements already split (``statements(text)``)."""
    for statement in parsed:
        found = instruction_parts(statement.text)
        if found is not None and found[0][:3].upper() in mnemonics:
            yield Instruction(statement.line, found[0], found[1])


def instruction_parts(text: str) -> tuple[str, str] | None:
    """(word, operand) of a statement that reads as an instruction once its labels are off
    (`.loop: LDA $12, X` -> ("LDA", "$12,X")), else None."""
    match = INSTRUCTION.match(compact_commas(without_labels(text)))
    return (match.group(1), match.group(2) or "") if match else None
