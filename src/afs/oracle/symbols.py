"""Symbols: names given to addresses, with what their source says about them. Entries for the
address database and lookup samples ("What is the address of `Name`?", "What is at $7E0010?").

Two ways of naming an address count:

- assignments (`Name = $7E0010 ; what it is`), as in Core/ram.asm: only plain assignments whose
  value is an address, a 4-6 digit hex literal (`$7E0010`, `$012F`) or an expression of symbols
  defined before (`LinkX = LinkY+2`). asar defines (`!Speed = 20`) and small constants are not
  addresses, and taking them as such would make `$14` resolve to a constant;
- RAM layouts: labels under `base`/`org` at a work-RAM address that reserve room with `skip n`
  or `db/dw/dl/dd` (`Scrap00: skip 1`), whose size is then known exactly.

What documents a symbol is the comment attached to it: its own trailing comment (with the
comment-only lines below it that continue it in the same column), else the comment block
directly above it when it is the only symbol under that block. A block above several symbols
is theirs together (a heading, or one text for two to four names); it is never stated as each
one's own description. A block that opens the file is the file's header and documents no symbol.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass

from afs.asm.expressions import ExpressionError, evaluate
from afs.asm.source import split_statements, strip_comment
from afs.generators.base import TrainingSample
from afs.knowledge import AddressEntry
from afs.knowledge.addressing import WRAM_BANKS
from afs.knowledge.entries import format_address
from afs.knowledge.loaders import symbol_assignment
from afs.knowledge.questions import address_sample, name_sample
from afs.oracle.comments import (
    CommentBlock, as_prose, block_above, comment_text, inline_comment, is_annotation_only,
    strip_annotations,
)
from afs.oracle.quality import provisional_score, word_count
from afs.oracle.structs import directive_size
from afs.oracle.text import join_names

DOMAIN = "asm.symbols"
_ADDRESS_LITERAL = re.compile(r"\$[0-9A-Fa-f]{4,6}\b")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LABEL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?!:)\s*(.*)$")
_SUBLABEL = re.compile(r"\.[A-Za-z0-9_]+:?(?:\s+(.*))?$")
SHARED_GROUP = 4  # up to this many names under one comment share it as their description
# words a sentence does not end on: a comment ending on one goes on in the next line's comment
_OPEN_ENDINGS = frozenset({"a", "an", "the", "of", "to", "for", "and", "or", "but", "some",
                           "with", "in", "on", "at", "by", "that", "is", "are", "be", "if",
                           "when", "whether", "from", "as", "into", "than", "this", "these"})


@dataclass(frozen=True)
class SymbolDefinition:
    """A named address. ``description`` is its own documentation ('' when it has none);
    ``group`` the names of the run it was defined in when a comment above documents them
    together (``group_text``: that comment, ``heading``: the heading it sits under); ``size`` the
    bytes it spans when the source says (a RAM layout), else None."""

    name: str
    address: int
    description: str
    line: int
    size: int | None = None
    group: tuple[str, ...] = ()
    group_text: str = ""
    heading: str = ""

    @property
    def documentation(self) -> str:
        """What a sample may say about the symbol: its own description, else the comment it
        shares with its group (said to be shared), else its heading ('' when none)."""
        if self.description:
            return self.description
        if self.group_text:
            names = join_names([f"`{n}`" for n in self.group])
            return f"The comment above {names} documents them together:\n{self.group_text}"
        if self.heading:
            return f"Listed under the heading \u201c{self.heading}\u201d."
        return ""

    @property
    def documented_by(self) -> str:
        """own, group, heading or none (for the generation report)."""
        return ("own" if self.description else "group" if self.group_text
                else "heading" if self.heading else "none")


@dataclass
class _Symbol:
    """A symbol while its file is read: its line index, own comment lines and comment column."""

    name: str
    address: int
    index: int
    comment: list[str]
    column: int | None
    size: int | None = None
    heading: str = ""  # the `\` line of the bracket group it is in


def _names_an_address(value: str, known: dict[str, int]) -> bool:
    return bool(_ADDRESS_LITERAL.search(value)) or any(
        name in known for name in _NAME.findall(value))


def _assignment(code: str, known: dict[str, int]) -> tuple[str, int] | None:
    if code.startswith("!") or "=" not in code:
        return None
    try:
        found = symbol_assignment(code, known)
    except ValueError:  # a malformed number: not a symbol this generator can use
        return None
    if found is None or not _names_an_address(code.split("=", 1)[1], known):
        return None
    return found


def _comment_column(raw: str) -> int | None:
    code = strip_comment(raw)
    return len(code) if code != raw and code.strip() else None


def _ram_address(argument: str) -> int | None:
    """The address of a `base`/`org` argument when it is in work RAM ($7E0000-$7FFFFF)."""
    try:
        value = evaluate(argument.strip()).value
    except ExpressionError:
        return None
    return value if value is not None and (value >> 16) in WRAM_BANKS else None


class _Layout:
    """The cursor of a RAM layout: labels name it, `skip`/`db…` move it. Anything else (code,
    other data) ends it. A bare label (`Scrap:`) is kept until the line after it shows that it
    names room in the layout; of several labels at one place only the last is sized."""

    def __init__(self) -> None:
        self.cursor: int | None = None
        self.pending: list[_Symbol] = []

    def directive(self, code: str) -> bool:
        """Follow `base`/`org`/`pushpc`/`pullpc`; True when ``code`` was one of them."""
        if code[:1] not in "bopBOP":
            return False  # most lines: cheap test first
        words = code.split(None, 1)
        word = words[0].lower() if words else ""
        if word in ("base", "org"):
            argument = words[1] if len(words) > 1 else ""
            self.cursor = None if argument.strip().lower() == "off" else _ram_address(argument)
        elif word in ("pushpc", "pullpc"):
            self.cursor = None
        else:
            return False
        self.pending = []
        return True

    def line(self, code: str, index: int, raw: str) -> list[_Symbol]:
        """The symbols a layout line confirms (its own labels and the bare ones before it)."""
        confirmed: list[_Symbol] = []
        for statement in split_statements(index + 1, code):
            if self.cursor is None:
                return []
            confirmed += self._statement(statement.text, index, raw)
        return confirmed

    def _statement(self, text: str, index: int, raw: str) -> list[_Symbol]:
        labels: list[_Symbol] = []
        rest = text.strip()
        while (match := _LABEL.match(rest) or _SUBLABEL.match(rest)) is not None:
            if match.re is _LABEL:  # a sub-label (`.low:`) names no symbol of its own
                labels.append(_Symbol(match.group(1), self.cursor, index,
                                      [c for c in [inline_comment(raw)] if c],
                                      _comment_column(raw)))
            rest = (match.group(match.re.groups) or "").strip()
        if not rest:
            self.pending += labels
            return []
        size = directive_size(rest)
        if size is None or size < 0:
            self.cursor, self.pending = None, []
            return []
        sized = labels or self.pending
        if sized:
            sized[-1].size = size
        confirmed, self.pending = self.pending + labels, []
        self.cursor += size
        return confirmed


def _scan(lines: list[str]) -> Iterator[_Symbol]:
    """Every symbol of a file with its own trailing comment (continuation lines included)."""
    known: dict[str, int] = {}
    layout = _Layout()
    current: _Symbol | None = None  # the last symbol, while its comment may continue
    for index, raw in enumerate(lines):
        code = strip_comment(raw).strip()
        if not code:
            current = _continue(current, raw)
            continue
        current = None
        if layout.directive(code):
            continue
        found = _assignment(code, known)
        if found is not None:
            name, address = found
            known[name] = address
            own = inline_comment(raw)
            current = _Symbol(name, address, index, [own] if own else [], _comment_column(raw))
            yield current
        elif layout.cursor is not None:
            symbols = layout.line(code, index, raw)
            yield from symbols
            current = symbols[-1] if symbols and symbols[-1].index == index else None


def _continue(current: _Symbol | None, raw: str) -> _Symbol | None:
    """Add a comment-only line in ``current``'s comment column to its comment; any other line
    ends the comment (a lone `;` in that column too, after the first line)."""
    if current is None or current.column is None or not current.comment:
        return None
    text = comment_text(raw)
    if text is None or raw.index(";") != current.column:
        return None
    if is_annotation_only(raw):
        return current
    if not text.strip():
        return None
    current.comment.append(text.rstrip())
    return current


def _apply_brackets(run: list[_Symbol]) -> None:
    """Trailing comments drawn as a bracket (`; \  Key counters` / `;  | Sewers` / `; /  Tower`):
    the `\` line names the group; each member's text says which one it is, so its
    description is `Key counters: Sewers`, and a member with no text of its own is under the
    group's heading."""
    opener = ""
    for symbol in run:
        first = symbol.comment[0].lstrip() if symbol.comment else ""
        mark, rest = first[:1], first[1:].strip()
        if mark == "\\" and rest:
            opener, symbol.comment[0] = rest, rest
        elif mark in ("|", "/") and opener:
            symbol.comment = [f"{opener}: {rest}"] + symbol.comment[1:] if rest else symbol.comment[1:]
            symbol.heading = opener
            opener = "" if mark == "/" else opener
        else:
            opener = ""


def _own_text(symbol: _Symbol) -> str:
    return as_prose(symbol.comment) if symbol.comment else ""


def _wrapped_into_next(first: _Symbol, second: _Symbol) -> bool:
    """Whether ``first``'s one-line comment is a sentence that goes on in ``second``'s (one
    comment written across the trailing comments of several symbols)."""
    if len(first.comment) != 1 or not second.comment or second.index != first.index + 1:
        return False
    text, following = first.comment[0].rstrip(), second.comment[0].lstrip()
    if not following or text[-1:] in ".!?:)":
        return False
    last = text.split()[-1].lower() if text.split() else ""
    return following[:1].islower() or last in _OPEN_ENDINGS


def _runs(symbols: list[_Symbol], lines: list[str]) -> list[list[_Symbol]]:
    """Symbols defined on consecutive lines (comment continuations between them allowed)."""
    runs: list[list[_Symbol]] = []
    for symbol in symbols:
        if runs and _adjacent(runs[-1][-1], symbol, lines):
            runs[-1].append(symbol)
        else:
            runs.append([symbol])
    return runs


def _adjacent(previous: _Symbol, symbol: _Symbol, lines: list[str]) -> bool:
    between = lines[previous.index + 1:symbol.index]
    column = previous.column
    return all(comment_text(line) is not None and column is not None
               and line.index(";") == column for line in between)


def symbol_definitions(lines: list[str]) -> Iterator[SymbolDefinition]:
    """The symbols of a file, in order, each with what documents it (see the module doc).

    The comment block above a run of symbols belongs to the undocumented symbols that lead
    the run (up to the first one with its own comment): the description of one, the shared
    text of two to four, the heading of more."""
    symbols = list(_scan(lines))
    for run in _runs(symbols, lines):
        block = block_above(lines, run[0].index)
        text = "" if block.file_header else as_prose(list(block.text))
        heading = block.section_heading or _title_of(block)
        _apply_brackets(run)
        chains = _comment_chains(run)
        leading = next((n for n, s in enumerate(run) if s.comment or s.name in chains), len(run))
        for number, symbol in enumerate(run):
            chain = chains.get(symbol.name)
            if chain is not None:
                yield _definition(symbol, "", tuple(s.name for s in chain),
                                  as_prose([line for s in chain for line in s.comment]), heading)
            elif symbol.comment or (leading == 1 and number == 0):
                yield _definition(symbol, _own_text(symbol) or text, (), "", heading)
            elif number < leading <= SHARED_GROUP and text:
                yield _definition(symbol, "", tuple(s.name for s in run[:leading]), text,
                                  heading)
            else:
                yield _definition(symbol, "", (), "", symbol.heading or heading)


def _title_of(block: CommentBlock) -> str:
    """A block's first line when it reads as a title (short, no sentence end)."""
    first = block.text[0].strip() if block.text else ""
    if not first or len(first.split()) > 8 or first[-1:] in ".,;:" or block.file_header:
        return ""
    return first


def _comment_chains(run: list[_Symbol]) -> dict[str, list[_Symbol]]:
    """Symbols whose trailing comments form one text, by name."""
    chains: dict[str, list[_Symbol]] = {}
    chain: list[_Symbol] = []
    for first, second in zip(run, run[1:] + [None]):
        chain.append(first)
        if second is not None and _wrapped_into_next(first, second):
            continue
        if len(chain) > 1:
            chains.update({symbol.name: chain for symbol in chain})
        chain = []
    return chains


def _definition(symbol: _Symbol, description: str, group: tuple[str, ...], group_text: str,
                heading: str) -> SymbolDefinition:
    return SymbolDefinition(symbol.name, symbol.address, strip_annotations(description),
                            symbol.index + 1, symbol.size, group, group_text, heading)


def as_entry(symbol: SymbolDefinition, file: str, size: int | None = None) -> AddressEntry:
    """The address-table entry of a symbol: its own description only (a group's heading says
    nothing about one routine or variable), its size when known (``size`` overrides)."""
    description = symbol.description[:1].upper() + symbol.description[1:]
    size = size or symbol.size
    return AddressEntry(address=symbol.address, name=symbol.name, description=description,
                        size=size or 1, size_known=size is not None, source=file)


def symbol_samples(symbols: list[SymbolDefinition], file: str,
                   sizes: dict[str, int] | None = None) -> Iterator[TrainingSample]:
    """The lookups of one file's symbols: name -> address for each documented symbol, and
    address -> meaning once per address (every name the file gives it in one answer). An
    undocumented symbol gives none: its answer would say nothing. ``sizes``: widths known
    from elsewhere (the built-in tables), by name."""
    sizes = sizes or {}
    context = f" according to `{file}`"
    documented = [s for s in symbols if s.documentation]
    by_address: dict[int, list[SymbolDefinition]] = {}
    for symbol in documented:
        by_address.setdefault(symbol.address, []).append(symbol)
    for symbol in documented:
        entry = _sample_entry(symbol, file, sizes.get(symbol.name))
        yield _stamped(name_sample(entry, context=context, gist_of=symbol.description),
                       symbol, file, entry)
        sharing = by_address[symbol.address]
        if symbol is sharing[0]:
            entries = [entry] + [_sample_entry(s, file, sizes.get(s.name)) for s in sharing[1:]]
            yield _stamped(address_sample(entries, context=context), symbol, file, entry)


def _sample_entry(symbol: SymbolDefinition, file: str, size: int | None) -> AddressEntry:
    documentation = symbol.documentation
    return dataclasses.replace(as_entry(symbol, file, size),
                               description=documentation[:1].upper() + documentation[1:])


def _stamped(sample: TrainingSample, symbol: SymbolDefinition, file: str,
             entry: AddressEntry) -> TrainingSample:
    grounding = word_count(symbol.description or symbol.group_text)
    return dataclasses.replace(
        sample, domain=DOMAIN, source=f"{file}:{symbol.line}",
        quality_score=provisional_score(sample.output, grounding),
        _metadata={**sample._metadata, "generator": "oracle", "kind": "symbol", "file": file,
                   "line": symbol.line, "documented_by": symbol.documented_by,
                   "size": entry.size if entry.size_known else None,
                   "address_hex": format_address(symbol.address)})
