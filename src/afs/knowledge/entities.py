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
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from afs.asm.expressions import ExpressionError, evaluate
from afs.asm.opcodes import BRANCHES, MNEMONICS
from afs.asm.operands import (ACC, IMMEDIATE, INDEX_X, INDEX_Y, NONE, PLAIN, SR_INDIRECT_Y, STACK,
                              split_operand)
from afs.asm.source import instructions, logical_lines, split_statements
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

def _statements(code: str) -> Iterator[tuple[int, str, str]]:
    """(line number, MNEMONIC, operand text) for each instruction, read the way asar reads
    them (comments, ` : ` separators, labels in front, continuations)."""
    for instruction in instructions(code, MNEMONICS):
        yield instruction.line, instruction.word.split(".")[0].upper(), instruction.operand


def _assignments(code: str) -> dict[str, int]:
    """`Name = $7E0020` / `!Name = $7E0020` assignments made in the code itself."""
    known: dict[str, int] = {}
    for number, line in logical_lines(code):
        for statement in split_statements(number, line):
            try:
                found = symbol_assignment(statement.text, known)
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


def extract_entities(code: str, db: AddressDatabase | None = None) -> EntityReport:
    """The addresses ``code`` reads or writes, split into known and unknown by ``db``
    (default: the built-in table) plus the SNES hardware registers."""
    resolver = _Resolver(db if db is not None else AddressDatabase(), _assignments(code))
    found: dict[tuple, tuple[Entity, list[int]]] = {}
    for line, mnemonic, operand in _statements(code):
        expression = _address_expression(mnemonic, operand)
        if expression is None:
            continue
        address, entry, understood = resolver.resolve(expression)
        if not understood or (entry is None and expression.startswith(".")):
            continue  # malformed text, or a local `.label` (code or ROM data, not RAM)
        key = _identity(expression, address, entry)
        if key not in found:
            found[key] = (Entity(expression, address, entry), [])
        found[key][1].append(line)
    entities = [Entity(e.text, e.address, e.entry, tuple(lines)) for e, lines in found.values()]
    known = [e for e in entities if e.known]
    unknown = [e for e in entities if not e.known]
    coverage = len(known) / len(entities) if entities else NO_ENTITIES_COVERAGE
    return EntityReport(known=known, unknown=unknown, coverage=coverage)
