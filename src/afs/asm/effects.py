"""What a 65816 instruction reads and writes: registers, flags, the stack and memory.

Enough to tell whether two neighbouring instructions depend on each other (one writes what
the other reads or writes), so that putting them in the other order changes what the code
does. Resources: ``A X Y`` (registers), ``C`` (carry), ``NZ`` (the result flags), ``V``,
``W`` (the register widths, REP/SEP's m and x flags, which size every A/X/Y operation),
``S`` (the stack), ``D``, ``B``, ``P`` (the whole status register) and ``mem:<operand>``
(memory named by the operand's text; an indexed or indirect operand may alias any memory:
``mem:*``). Control flow (branches, jumps, returns, block moves, interrupts) is a barrier
that depends on everything.
"""

from __future__ import annotations

from dataclasses import dataclass

ANY_MEMORY = "mem:*"
BARRIER = "*"

# mnemonic -> (reads, writes) besides memory; W (width) is read by everything that moves
# data through A, X or Y, so it is added where A/X/Y appear
_REGISTERS: dict[str, tuple[str, str]] = {
    "LDA": ("", "A NZ"), "LDX": ("", "X NZ"), "LDY": ("", "Y NZ"),
    "STA": ("A", ""), "STX": ("X", ""), "STY": ("Y", ""), "STZ": ("", ""),
    "ADC": ("A C", "A C NZ V"), "SBC": ("A C", "A C NZ V"),
    "AND": ("A", "A NZ"), "ORA": ("A", "A NZ"), "EOR": ("A", "A NZ"),
    "CMP": ("A", "C NZ"), "CPX": ("X", "C NZ"), "CPY": ("Y", "C NZ"),
    "BIT": ("A", "NZ V"), "TSB": ("A", "NZ"), "TRB": ("A", "NZ"),
    "INX": ("X", "X NZ"), "DEX": ("X", "X NZ"), "INY": ("Y", "Y NZ"), "DEY": ("Y", "Y NZ"),
    "TAX": ("A", "X NZ"), "TXA": ("X", "A NZ"), "TAY": ("A", "Y NZ"), "TYA": ("Y", "A NZ"),
    "TXY": ("X", "Y NZ"), "TYX": ("Y", "X NZ"), "TCD": ("A", "D NZ"), "TDC": ("D", "A NZ"),
    "TCS": ("A", "S"), "TSC": ("S", "A NZ"), "TXS": ("X", "S"), "TSX": ("S", "X NZ"),
    "XBA": ("A", "A NZ"),
    "CLC": ("", "C"), "SEC": ("", "C"), "CLV": ("", "V"), "CLI": ("", "P"), "SEI": ("", "P"),
    "CLD": ("", "P"), "SED": ("", "P"), "REP": ("", "W C NZ V P"), "SEP": ("", "W C NZ V P"),
    "XCE": ("C", "C W P"),
    "PHA": ("A S", "S"), "PLA": ("S", "A NZ S"), "PHX": ("X S", "S"), "PLX": ("S", "X NZ S"),
    "PHY": ("Y S", "S"), "PLY": ("S", "Y NZ S"), "PHB": ("B S", "S"), "PLB": ("S", "B NZ S"),
    "PHD": ("D S", "S"), "PLD": ("S", "D NZ S"), "PHK": ("S", "S"),
    "PHP": ("P C NZ V W S", "S"), "PLP": ("S", "P C NZ V W S"),
    "PEA": ("S", "S"), "PEI": ("S", "S"), "PER": ("S", "S"), "NOP": ("", ""), "WDM": ("", ""),
}
# read-modify-write: the accumulator form (no operand, or `A`) or memory
_SHIFTS = {"ASL": ("", "C NZ"), "LSR": ("", "C NZ"), "ROL": ("C", "C NZ"),
           "ROR": ("C", "C NZ"), "INC": ("", "NZ"), "DEC": ("", "NZ")}
_MEMORY_READS = frozenset("LDA LDX LDY ADC SBC AND ORA EOR CMP CPX CPY BIT TSB TRB".split())
_MEMORY_WRITES = frozenset("STA STX STY STZ TSB TRB".split())
_WIDTH_SIZED = frozenset("A X Y".split())
FLAGS = frozenset("C NZ V P".split())  # status flags: nearly every instruction writes them


@dataclass(frozen=True)
class Effects:
    """The resources an instruction reads and writes (see the module doc)."""

    reads: frozenset[str]
    writes: frozenset[str]

    @property
    def barrier(self) -> bool:
        return BARRIER in self.reads


def _memory(operand: str) -> str | None:
    """The memory an operand names (``mem:<text>``, ``mem:*`` when indexed or indirect), or
    None for no memory (none, immediate, accumulator)."""
    text = operand.replace(" ", "")
    if not text or text.startswith("#") or text.upper() == "A":
        return None
    if "," in text or text.startswith(("(", "[")):
        return ANY_MEMORY
    return f"mem:{text}"


def effects(mnemonic: str, operand: str = "") -> Effects:
    """What ``mnemonic operand`` reads and writes. Unknown mnemonics and control flow are
    barriers."""
    word = mnemonic.split(".")[0].upper()
    memory = _memory(operand)
    if word in _SHIFTS:
        reads, writes = (set(part.split()) for part in _SHIFTS[word])
        target = memory or "A"
        reads.add(target)
        writes.add(target)
    elif word in _REGISTERS:
        reads, writes = (set(part.split()) for part in _REGISTERS[word])
        if memory and word in _MEMORY_READS:
            reads.add(memory)
        if memory and word in _MEMORY_WRITES:
            writes.add(memory)
    else:
        return Effects(frozenset({BARRIER}), frozenset({BARRIER}))
    if (reads | writes) & _WIDTH_SIZED or word == "STZ":
        reads.add("W")
    return Effects(frozenset(reads), frozenset(writes))


def _touches(resources: frozenset[str], other: frozenset[str]) -> bool:
    if resources & other:
        return True
    # any memory access may alias an indexed or indirect one
    mine = any(r.startswith("mem:") for r in resources)
    theirs = any(r.startswith("mem:") for r in other)
    return mine and theirs and (ANY_MEMORY in resources or ANY_MEMORY in other)


def depends(first: Effects, second: Effects) -> bool:
    """Whether running ``second`` before ``first`` could do something else than ``first``
    then ``second``: one writes what the other reads or writes, or either is a barrier."""
    if first.barrier or second.barrier:
        return True
    # two writes of the flags are not counted: nearly every instruction writes N and Z, and
    # the order of two such writes only matters to a later branch (itself a barrier)
    return (_touches(first.writes, second.reads) or _touches(first.reads, second.writes)
            or _touches(first.writes - FLAGS, second.writes - FLAGS))
