"""Entity extraction: which memory addresses a piece of 65816 code touches, and how many of
them an address database knows.

Entities are the addresses named by instruction operands: not immediates (`#$10`), not
comments, not data directives (`db`, `dw`…), not branch or call targets (code labels), not
stack offsets (`$03,S`). Operands resolve with the SNES memory map (see
`afs.knowledge.addressing`): `$12` is the direct page (D=0 assumed) -> `$7E0012`; `$0E20` is the
low-RAM mirror -> `$7E0E20`; `$2100` is a register; other 2-byte addresses depend on the data
bank and stay unresolved. Symbol names resolve through assignments in the code itself, then the
database, then the hardware register names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from afs.asm.expressions import ExpressionError, evaluate
from afs.asm.opcodes import BRANCHES, MNEMONICS
from afs.asm.operands import (ACC, IMMEDIATE, INDEX_X, INDEX_Y, NONE, PLAIN, SR_INDIRECT_Y, STACK,
                              split_operand)
from afs.asm.source import TEXT_CACHE_SIZE, Statement, instruction_parts
from afs.asm.source import statements as split_source
from afs.knowledge.addressing import resolve_operand
from afs.knowledge.database import AddressDatabase
from afs.knowledge.entries import AddressEntry
from afs.knowledge.loaders import symbol_assignment

# Coverage of code that names no address at all. Neither 1.0 (it would rank a sample with no
# memory access, or no code, as perfectly grounded) nor 0.0 (it would punish pure computation):
# the midpoint says "no evidence either way".
NO_ENTITIES_COVERAGE = 0.5

# operands that are code addresses, bank numbers or pushed constants, not data
_NOT_DATA = frozenset({*BRANCHES, "BRL", "JSR", "JSL", "JMP", "JML", "PER", "PEA", "MVN", "MVP"})
_INDIRECT_JUMPS = frozenset({"JMP", "JML"})  # `JMP ($0000)` reads a pointer from RAM
_NAME = re.compile(r"!?[A-Za-z_][A-Za-z0-9_.]*")
_NO_ADDRESS = frozenset({NONE, ACC, IMMEDIATE, STACK, SR_INDIRECT_Y})


@dataclass(frozen=True)
class Entity:
    """One address the code refers to: as written (``text``), where it resolves
    (``address``, None when the data bank decides), the entry that names it (None when
    unknown), and the lines that use it."""

    text: str
    address: int | None
    entry: AddressEntry | None
    lines: tuple[int, ...] = ()

    @property
    def known(self) -> bool:
        return self.entry is not None

    @property
    def name(self) -> str:
        return self.entry.name if self.entry else self.text


@dataclass
class EntityReport:
    """Known and unknown entities (each once, in order of first use) and their coverage:
    known / (known + unknown), or ``NO_ENTITIES_COVERAGE`` when the code names none."""

    known: list[Entity] = field(default_factory=list)
    unknown: list[Entity] = field(default_factory=list)
    coverage: float = NO_ENTITIES_COVERAGE

    @property
    def total(self) -> int:
        return len(self.known) + len(self.unknown)


# --- statements ------------------------------------------------------------------------------

def _operands(parsed: Iterable[Statement]) -> Iterator[tuple[int, str]]:
    """(line number, address expression) of each instruction operand that names a data
    address, read the way asar reads the code (``split_source`` has undone comments,
    continuations and ` : ` separators; labels in front are skipped here)."""
    for statement in parsed:
        expression = _operand_expression(statement.text)
        if expression is not None:
            yield statement.line, expression


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def _operand_expression(text: str) -> str | None:
    """The address expression of one statement (see ``_address_expression``); None for a
    statement that is no instruction or names no data address. Cached: it depends on the text
    alone, and statements recur across texts (see ``TEXT_CACHE_SIZE``)."""
    found = instruction_parts(text)
    if found is None:
        return None
    mnemonic = found[0].split(".")[0].upper()
    return _address_expression(mnemonic, found[1]) if mnemonic in MNEMONICS else None


def _assignments(parsed: Iterable[Statement]) -> dict[str, int]:
    """`Name = $7E0020` / `!Name = $7E0020` assignments made in the code itself."""
    known: dict[str, int] = {}
    for statement in parsed:
        text = statement.text
        if "=" not in text and ":" not in text:
            continue  # neither `Name = value` nor WLA's `7E:0020 Name`: saves the two regexes
        try:
            found = symbol_assignment(text, known)
        except ValueError:  # extraction never fails on bad code; the validator reports it
            continue
        if found:
            known[found[0]] = found[1]
    return known


# --- operands -------------------------------------------------------------------------------

def _address_expression(mnemonic: str, operand: str) -> str | None:
    """The address expression inside an operand, or None when the operand names no data
    address (no operand, accumulator, immediate, stack offset, code target)."""
    shape = split_operand(operand)
    if shape.shape in _NO_ADDRESS:
        return None
    indirect = shape.shape not in (PLAIN, INDEX_X, INDEX_Y)
    if mnemonic in _NOT_DATA and not (mnemonic in _INDIRECT_JUMPS and indirect):
        return None
    expression = shape.expression
    if shape.shape == INDEX_X and expression.startswith("(") and expression.endswith(")"):
        expression = expression[1:-1]  # `($12),X` is `$12,X` in asar
    return expression or None


@lru_cache(maxsize=1)
def _hardware() -> AddressDatabase:
    return AddressDatabase.hardware()


class _Resolver:
    """Resolves operand expressions against the code's own assignments, the database and
    the hardware registers."""

    def __init__(self, db: AddressDatabase, local: dict[str, int]):
        self.db = db
        self.registers = _hardware()
        self.local = local

    def entry_named(self, name: str) -> AddressEntry | None:
        return self.db.get(name) or self.registers.get(name)

    def entry_at(self, address: int) -> AddressEntry | None:
        return self.db.lookup(address) or self.registers.lookup(address)

    def name_value(self, name: str) -> int | None:
        bare = name.lstrip("!")
        if bare in self.local:
            return self.local[bare]
        entry = self.entry_named(bare)
        return entry.address if entry else None

    def resolve(self, expression: str) -> tuple[int | None, AddressEntry | None, bool]:
        """(canonical address, entry, understood). ``understood`` is False for text that is
        not an expression (then it is no entity at all)."""
        if _NAME.fullmatch(expression) and expression.lstrip("!") not in self.local:
            entry = self.entry_named(expression)  # a bare name: the entry itself
            return (entry.address, entry, True) if entry else (None, None, True)
        value = self._evaluate(expression)
        if value is None:
            return None, None, False
        number, width = value
        if number is None:
            return None, None, True
        if number < 0:  # not an address: asar would refuse it
            return None, None, False
        address = resolve_operand(number, width)
        return address, (self.entry_at(address) if address is not None else None), True

    def _evaluate(self, expression: str) -> tuple[int | None, int] | None:
        """(value or None when a name is unknown, width in bytes), or None when malformed."""
        try:
            value = evaluate(expression)
        except ExpressionError:
            return None
        if value.value is not None:
            return value.value, value.width
        numbers = {name: self.name_value(name) for name in value.unresolved}
        if None in numbers.values():
            return None, 0
        resolved = evaluate(expression, symbols=numbers)
        # a symbol is as wide as its address: two bytes up to $FFFF, three above
        widths = [2 if number <= 0xFFFF else 3 for number in numbers.values()]
        return resolved.value, max([resolved.width, *widths])


def _identity(text: str, address: int | None, entry: AddressEntry | None) -> tuple:
    if entry is not None:
        return ("entry", entry.name)
    return ("address", address) if address is not None else ("text", text)


def _entity(resolver: _Resolver, expression: str) -> tuple[tuple, Entity] | None:
    """(identity, entity) of an address expression, or None when it is no entity: malformed
    text, or a local `.label` (code or ROM data, not RAM)."""
    address, entry, understood = resolver.resolve(expression)
    if not understood or (entry is None and expression.startswith(".")):
        return None
    return _identity(expression, address, entry), Entity(expression, address, entry)


def extract_entities(code: str, db: AddressDatabase | None = None, *,
                     statements: Sequence[Statement] | None = None) -> EntityReport:
    """The addresses ``code`` reads or writes, split into known and unknown by ``db``
    (default: the built-in table) plus the SNES hardware registers. ``statements``:
    ``afs.asm.source.statements(code)`` when the caller has split ``code`` already (the
    quality scorer shares that parse with ``afs.asm.validate``)."""
    parsed = split_source(code) if statements is None else statements
    resolver = _Resolver(db if db is not None else AddressDatabase(), _assignments(parsed))
    found: dict[tuple, tuple[Entity, list[int]]] = {}
    seen: dict[str, tuple[tuple, Entity] | None] = {}  # an expression used again: same answer
    for line, expression in _operands(parsed):
        if expression not in seen:
            seen[expression] = _entity(resolver, expression)
        if seen[expression] is None:
            continue
        key, entity = seen[expression]
        if key not in found:
            found[key] = (entity, [])
        found[key][1].append(line)
    entities = [Entity(e.text, e.address, e.entry, tuple(lines)) for e, lines in found.values()]
    known = [e for e in entities if e.known]
    unknown = [e for e in entities if not e.known]
    coverage = len(known) / len(entities) if entities else NO_ENTITIES_COVERAGE
    return EntityReport(known=known, unknown=unknown, coverage=coverage)
