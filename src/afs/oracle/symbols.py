"""Symbol assignments (`Name = $7E0010 ; what it is`): entries for the address database and
lookup samples ("What is the address of `Name`?", "What is at $7E0010?").

A file is a symbol file when it assigns addresses to names, as Core/ram.asm does. Only plain
assignments whose value is an address count: a 4-6 digit hex literal (`$7E0010`, `$012F`) or an
expression of symbols defined before (`LinkX = LinkY+2`). asar defines (`!Speed = 20`) and small
constants are not addresses, and taking them as such would make `$14` resolve to a constant.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass

from afs.asm.source import strip_comment
from afs.generators.base import TrainingSample
from afs.knowledge import AddressEntry
from afs.knowledge.loaders import symbol_assignment
from afs.knowledge.questions import entry_samples
from afs.oracle.comments import comment_text, inline_comment, is_ruler
from afs.oracle.quality import provisional_score, word_count

DOMAIN = "asm.symbols"
_ADDRESS_LITERAL = re.compile(r"\$[0-9A-Fa-f]{4,6}\b")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class SymbolDefinition:
    name: str
    address: int
    description: str
    line: int


def _names_an_address(value: str, known: dict[str, int]) -> bool:
    return bool(_ADDRESS_LITERAL.search(value)) or any(
        name in known for name in _NAME.findall(value))


def symbol_definitions(lines: list[str]) -> Iterator[SymbolDefinition]:
    """The address assignments of a file, each with its description: the comment after it,
    else the comment block above it (shared by consecutive assignments, as in `LinkY = …` /
    `LinkX = …` under one comment)."""
    known: dict[str, int] = {}
    above: list[str] = []
    after_assignment = False  # a comment after an assignment starts the next block
    for number, raw in enumerate(lines, 1):
        code = strip_comment(raw).strip()
        if not code:
            text = comment_text(raw)
            if text is None or after_assignment:
                above = []  # a blank line ends a comment block
            if text and not is_ruler(text):
                above.append(text.strip())
            after_assignment = False
            continue
        found = _assignment(code, known)
        after_assignment = found is not None
        if found is None:
            above = []
            continue
        name, address = found
        known[name] = address
        own = inline_comment(raw)
        yield SymbolDefinition(name, address, own or " ".join(above), number)
        if own:
            above = []  # a symbol with its own comment ends the run sharing the block above


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


def as_entry(symbol: SymbolDefinition, file: str) -> AddressEntry:
    description = symbol.description[:1].upper() + symbol.description[1:]
    return AddressEntry(address=symbol.address, name=symbol.name, description=description,
                        source=file)


def symbol_samples(symbol: SymbolDefinition, file: str) -> Iterator[TrainingSample]:
    """Two lookups (name -> address, address -> meaning) for a documented symbol, phrased by
    `afs.knowledge.questions`; an undocumented one gives none (its answer would say nothing)."""
    if not symbol.description:
        return
    source = f"{file}:{symbol.line}"
    grounding = word_count(symbol.description)
    for sample in entry_samples(as_entry(symbol, file)):
        yield dataclasses.replace(
            sample, domain=DOMAIN, source=source,
            quality_score=provisional_score(sample.output, grounding),
            _metadata={**sample._metadata, "generator": "oracle", "kind": "symbol",
                       "file": file, "line": symbol.line})
