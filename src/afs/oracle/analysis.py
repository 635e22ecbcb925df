"""What a routine does, read off its code: the memory it touches (and whether it reads or
writes it), the routines it calls, how it exits, where it changes register widths, and the
notes its author left inside it. The answers and rationales are written from these facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from afs.asm.opcodes import MNEMONICS
from afs.asm.source import Instruction, instructions
from afs.knowledge import AddressDatabase, EntityReport, extract_entities
from afs.knowledge.entries import format_address
from afs.oracle.comments import as_prose, comment_text, inline_comment, is_ruler
from afs.oracle.routines import Routine

CALLS = frozenset({"JSR", "JSL"})
RETURNS = {"RTS": "returns to a JSR caller in the same bank",
           "RTL": "returns to a JSL caller (a long routine, callable from any bank)",
           "RTI": "returns from an interrupt"}
JUMPS = frozenset({"JML", "JMP", "BRL"})
# store instructions write their operand; read-modify-write instructions read it and write it
WRITES = frozenset({"STA", "STX", "STY", "STZ"})
READ_MODIFY_WRITE = frozenset({"INC", "DEC", "ASL", "LSR", "ROL", "ROR", "TSB", "TRB"})
MAX_NOTES = 12


@dataclass(frozen=True)
class Touch:
    """One address the routine uses: ``name`` (the table's name, or the operand when the
    address is unknown), where it is, what it is, whether it is read and/or written, the
    first line of the body that uses it and the file or table that names it."""

    name: str
    written_as: str
    address: int | None
    description: str
    known: bool
    reads: bool
    writes: bool
    line: int = 0
    source: str = ""

    @property
    def access(self) -> str:
        return "reads and writes" if self.reads and self.writes else \
            "writes" if self.writes else "reads"

    @property
    def where(self) -> str:
        return format_address(self.address) if self.address is not None else self.written_as


@dataclass(frozen=True)
class WidthChange:
    """A `REP`/`SEP` (or a width macro) and what it leaves 8- or 16-bit."""

    line: int
    text: str
    effect: str


@dataclass
class RoutineFacts:
    touches: list[Touch] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (mnemonic, target)
    call_lines: dict[tuple[str, str], int] = field(default_factory=dict)  # first line of each
    exits: list[tuple[int, str, str]] = field(default_factory=list)  # (line, mnemonic, operand)
    widths: list[WidthChange] = field(default_factory=list)
    macros: list[str] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)  # (line in the body, text)
    saves_flags: bool = False
    coverage: float = 0.5


def width_effect(mnemonic: str, operand: str) -> str | None:
    """`REP #$20` -> "A 16-bit"; None for an operand that is not a literal immediate."""
    if not operand.startswith("#"):
        return None
    try:
        value = int(operand[1:].lstrip("$"), 16 if operand[1:2] == "$" else 10)
    except ValueError:
        return None
    registers = [name for bit, name in ((0x20, "A"), (0x10, "X/Y")) if value & bit]
    if not registers:
        return None
    size = "16-bit" if mnemonic == "REP" else "8-bit"
    return f"{' and '.join(registers)} {size}"


def _touches(report: EntityReport, accesses: dict[str, set[str]]) -> list[Touch]:
    touches = []
    for entity in [*report.known, *report.unknown]:
        kinds = accesses.get(entity.text, {"read"})
        description = entity.entry.description if entity.entry else ""
        touches.append(Touch(entity.name, entity.text, entity.address, description,
                             entity.known, "read" in kinds, "write" in kinds,
                             min(entity.lines, default=0),
                             entity.entry.source if entity.entry else ""))
    return touches


def _operand_base(operand: str) -> str:
    """The address expression of an operand as extract_entities reports it (`$0DD0,X` ->
    `$0DD0`, `(SprTable),Y` -> `SprTable`)."""
    base = operand.split(",")[0].strip("()[]")
    return base


def _macro_calls(routine: Routine) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(routine.lines, 1):
        code = line.split(";", 1)[0]
        for piece in code.split(" : "):
            piece = piece.strip()
            if piece.startswith("%") and "(" in piece:
                found.append((number, piece[1:piece.index("(")].strip()))
    return found


def analyse(routine: Routine, db: AddressDatabase, macro_widths: dict[str, str]) -> RoutineFacts:
    """The facts of ``routine``; ``macro_widths`` maps width macros (`SetA16`) to their effect."""
    facts = RoutineFacts()
    accesses: dict[str, set[str]] = {}
    code = routine.code
    for instruction in instructions(code, MNEMONICS):
        _record(facts, accesses, instruction)
    for number, name in _macro_calls(routine):
        if name not in facts.macros:
            facts.macros.append(name)
        if name in macro_widths:
            facts.widths.append(WidthChange(number, f"%{name}()", macro_widths[name]))
    facts.widths.sort(key=lambda change: change.line)
    report = extract_entities(code, db)
    facts.touches = _touches(report, accesses)
    facts.coverage = report.coverage
    facts.notes = body_notes(routine)
    return facts


def _record(facts: RoutineFacts, accesses: dict[str, set[str]], instruction: Instruction) -> None:
    mnemonic = instruction.word.split(".")[0].upper()
    operand = instruction.operand
    if mnemonic in CALLS and (mnemonic, operand) not in facts.calls:
        facts.calls.append((mnemonic, operand))
        facts.call_lines[(mnemonic, operand)] = instruction.line
    elif mnemonic in RETURNS or (mnemonic in JUMPS and not operand.startswith(".")):
        facts.exits.append((instruction.line, mnemonic, operand))
    elif mnemonic in ("REP", "SEP"):
        effect = width_effect(mnemonic, operand)
        if effect:
            facts.widths.append(WidthChange(instruction.line, f"{instruction.word} {operand}",
                                            effect))
    elif mnemonic in ("PHP", "PLP"):
        facts.saves_flags = True
    if operand:
        kinds = ({"read", "write"} if mnemonic in READ_MODIFY_WRITE
                 else {"write"} if mnemonic in WRITES else {"read"})
        accesses.setdefault(_operand_base(operand), set()).update(kinds)


def body_notes(routine: Routine) -> list[tuple[int, str]]:
    """The author's notes inside the body, with their line in the body (1-based): comments
    after code, and each run of comment-only lines as one note that keeps its line structure
    (a table of values stays a table). A one-word comment (`; $00` after a table entry) says
    too little to keep."""
    notes: list[tuple[int, str]] = []

    def keep(line: int, text: str) -> None:
        if len(text.split()) >= 2 and len(notes) < MAX_NOTES:
            notes.append((line, text))

    run: list[str] = []
    start = 0
    for number, line in enumerate(routine.lines, 1):
        text = comment_text(line)
        if text is not None:
            start = start if run else number
            if not (text.strip() and is_ruler(text)):
                run.append(text)
            continue
        if run:
            keep(start, as_prose(run))
            run = []
        keep(number, inline_comment(line))
    if run:
        keep(start, as_prose(run))
    return notes
