"""Routines of an asar source file: a routine-level label, its header comment and its body.

A body runs from its label to the next routine-level label; local `.labels` and `+`/`-` stay
inside it. It also ends where the file leaves code the routine owns: a section directive
(`pushpc`, `org`, `namespace`, `macro`, `struct` …) or an `endif`/`else` that closes a conditional
opened before the label. Trailing comments, blank lines and conditional openers at the end of a
body belong to what follows (the next header, an `if !DEBUG` around the next routine), so they
are trimmed. A body that opens with `{` ends at its matching `}`: what follows the closing
brace (a `%warnpc(…)`, the next block's code) is not the routine's. Only bodies with at least
one instruction are routines (a label in front of `dw` tables alone is data).

The header is the comment block above the label, read by ``afs.oracle.comments.
definition_header``: the title a file's header opens with (`; ===` / `; Accessibility Fixes` /
`; ===` at the top of the file) is the ``heading`` of the section the routine is in, not its
description.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from afs.asm.opcodes import MNEMONICS
from afs.asm.source import MAIN_LABEL, strip_comment
from afs.oracle.comments import definition_header

# directives after which the following lines are no longer the routine's own code
_SECTION_WORDS = frozenset({"pushpc", "pullpc", "org", "namespace", "macro", "struct",
                            "freecode", "freedata", "freespace", "incsrc", "incbin", "warnpc",
                            "base", "bank", "cleartable", "pushtable", "pulltable"})
# lines that may end a body but introduce what comes next (or only check the layout)
_TRAILING_WORDS = frozenset({"if", "elseif", "else", "assert", "print"})
_OPENERS = frozenset({"if", "while", "for"})
_CLOSERS = frozenset({"endif", "endwhile", "endfor"})


@dataclass(frozen=True)
class Routine:
    """One routine: ``name`` as written, ``qualified`` with its namespace (`SpiritWisp_Main`),
    the 1-based ``line`` of its label, its cleaned ``header`` comment lines, its ``lines``
    (the label line through the last line of the body) and the ``heading`` of the section it
    is in ('' when none)."""

    name: str
    qualified: str
    namespace: str | None
    line: int
    header: tuple[str, ...]
    lines: tuple[str, ...]
    heading: str = ""

    @property
    def code(self) -> str:
        return "\n".join(self.lines) + "\n"


def first_word(code: str) -> str:
    """The first word of a comment-free line, lower-cased (`''` for a blank line)."""
    stripped = code.strip()
    if not stripped:
        return ""
    return stripped.split(None, 1)[0].lower()


def routine_label(code: str) -> str | None:
    """The name of a routine-level label defined at the start of ``code``, else None
    (`.local`, `+`/`-` and macro-local `?labels` are not routine-level)."""
    stripped = code.lstrip()
    if not stripped or stripped[0] in ".?+-!;":
        return None
    match = MAIN_LABEL.match(stripped)
    if match is None or "?" in match.group(1):
        return None
    return match.group(2)


def has_instruction(lines: list[str]) -> bool:
    """Whether any line holds a 65816 instruction (cheap: the first word of each statement)."""
    for line in lines:
        for piece in strip_comment(line).split(" : "):
            words = piece.split()
            if words and routine_label(piece) is not None:
                words = words[1:]
            if words and words[0][:3].upper() in MNEMONICS and \
                    (len(words[0]) == 3 or words[0][3] == "."):
                return True
    return False


class _Scanner:
    """Walks a file's lines once, opening and closing routine bodies."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.namespace: str | None = None
        self.block: str | None = None  # "macro" or "struct" while inside one
        self.start: int | None = None  # index of the open routine's label line
        self.name = ""
        self.depth = 0  # conditionals opened inside the open routine
        self.braced: bool | None = None  # whether the body opened with `{` (None: not seen yet)
        self.braces = 0  # `{` minus `}` since the label

    def scan(self) -> Iterator[Routine]:
        for index, raw in enumerate(self.lines):
            code = strip_comment(raw)
            word = first_word(code)
            if self.block is not None:
                if word == f"end{self.block}":
                    self.block = None
                continue
            if word in _SECTION_WORDS or (self.start is not None and self._closes_outer(word)):
                yield from self.close(index)
                self._enter(word, code)
                continue
            label = routine_label(code)
            if label is not None:
                yield from self.close(index)
                self.start, self.name, self.depth = index, label, 0
                self.braced, self.braces = None, 0
            elif self.start is not None:
                self.depth += (word in _OPENERS) - (word in _CLOSERS)
                if self._closes_braces(word):
                    yield from self.close(index + 1)
        yield from self.close(len(self.lines))

    def _closes_braces(self, word: str) -> bool:
        """Count `{`/`}`; True at the `}` that closes a body opened with `{`."""
        if not word:
            return False
        if self.braced is None:
            self.braced = word == "{"
        self.braces += (word == "{") - (word == "}")
        return bool(self.braced) and word == "}" and self.braces == 0

    def _closes_outer(self, word: str) -> bool:
        """An `endif`/`else` at depth 0 belongs to a conditional around the routine."""
        return self.depth == 0 and (word in _CLOSERS or word in ("else", "elseif"))

    def _enter(self, word: str, code: str) -> None:
        if word in ("macro", "struct"):
            self.block = word
        elif word == "namespace":
            argument = code.split(None, 1)[1].strip() if len(code.split()) > 1 else "off"
            self.namespace = None if argument.lower() == "off" else argument.split()[-1]

    def close(self, end: int) -> Iterator[Routine]:
        if self.start is None:
            return
        start, self.start = self.start, None
        while end > start + 1 and _is_trailing(self.lines[end - 1]):
            end -= 1
        body = self.lines[start:end]
        if not has_instruction(body):
            return
        header, heading = definition_header(self.lines, start, self.name)
        qualified = f"{self.namespace}_{self.name}" if self.namespace else self.name
        yield Routine(self.name, qualified, self.namespace, start + 1, tuple(header), tuple(body),
                      heading)


def _is_trailing(line: str) -> bool:
    code = strip_comment(line)
    return not code.strip() or first_word(code) in _TRAILING_WORDS


def extract_routines(text: str) -> Iterator[Routine]:
    """The routines of asar source ``text`` (`\\n` line ends), in file order."""
    yield from _Scanner(text.split("\n")).scan()
