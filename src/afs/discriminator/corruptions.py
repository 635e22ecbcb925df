"""Corruptions that look like real mistakes in 65816 asm, each with its kind label.

Every function takes the snippet's lines, a seeded ``random.Random`` and a pool of lines from
other routines, and returns the corrupted lines or None when the kind does not apply to the
snippet. ``corrupt(text, kind, seed)`` is the deterministic entry point: the same text, kind,
seed and pool give the same corruption in any process.

Edits touch code only (``strip_comment`` part of a line); comments and indentation stay.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from afs.asm import opcodes as op
from afs.asm import validate
from afs.asm.diagnostics import (BAD_IMMEDIATE, BAD_INDEX, BAD_MODE, BLOCK_MOVE_OPERANDS,
                                 IMMEDIATE_ON_STORE)
from afs.asm.effects import Effects, effects
from afs.discriminator.flow import breaks_dependency, fed_resources, line_effects, starves
from afs.asm.source import strip_comment

Corruptor = Callable[[list[str], random.Random, Sequence[str]], "list[str] | None"]

# a statement: optional label, mnemonic (+ .b/.w/.l), optional operand, up to ` : ` or the end
_STATEMENT = re.compile(r"(?P<lead>\s*(?:[.#?]?[A-Za-z0-9_.]+:\s*|[+-]+\s+)?)"
                        r"(?P<mn>[A-Za-z]{3})(?P<sfx>\.[bwlBWL])?(?:\s+(?P<op>\S.*?))?\s*$")
_SEPARATOR = re.compile(r"\s:\s")
_HEX = re.compile(r"\$([0-9A-Fa-f]+)")
_INDEX = re.compile(r",\s*([XxYy])(\)?)$")
_NAME_REF = re.compile(r"^[.A-Za-z_][A-Za-z0-9_.]*$")
_LABEL_DEF = re.compile(r"^\s*([.#?]?[A-Za-z0-9_.]+):?(?=\s|$)")
# the validator's codes for an operand the mnemonic has no addressing mode for
_MODE_ERRORS = frozenset({BAD_MODE, BAD_INDEX, IMMEDIATE_ON_STORE, BAD_IMMEDIATE,
                          BLOCK_MOVE_OPERANDS})
_JUMPS = frozenset({"JSR", "JSL", "JMP", "JML"})

# real mnemonics a programmer confuses with each other (same operand, different meaning)
_CONFUSIONS = {
    "LDA": "STA ADC CMP", "STA": "LDA STZ", "LDX": "STX LDY", "STX": "LDX STY",
    "LDY": "STY LDX", "STY": "LDY STX", "STZ": "STA", "ADC": "SBC", "SBC": "ADC",
    "AND": "ORA EOR", "ORA": "AND EOR", "EOR": "AND ORA", "CMP": "CPX CPY", "CPX": "CPY CMP",
    "CPY": "CPX CMP", "INC": "DEC", "DEC": "INC", "INX": "DEX INY", "DEX": "INX DEY",
    "INY": "DEY INX", "DEY": "INY DEX", "ASL": "LSR ROL", "LSR": "ASL ROR", "ROL": "ROR ASL",
    "ROR": "ROL LSR", "BEQ": "BNE", "BNE": "BEQ", "BCC": "BCS", "BCS": "BCC", "BPL": "BMI",
    "BMI": "BPL", "BVC": "BVS", "BVS": "BVC", "CLC": "SEC", "SEC": "CLC", "SEI": "CLI",
    "CLI": "SEI", "REP": "SEP", "SEP": "REP", "PHA": "PLA", "PLA": "PHA", "PHX": "PLX",
    "PLX": "PHX", "PHY": "PLY", "PLY": "PHY", "PHB": "PLB", "PLB": "PHB", "PHP": "PLP",
    "PLP": "PHP", "PHD": "PLD", "PLD": "PHD", "TAX": "TXA TAY", "TXA": "TAX TYA",
    "TAY": "TYA TAX", "TYA": "TAY TXA", "TXY": "TYX", "TYX": "TXY", "TCD": "TDC",
    "TDC": "TCD", "TCS": "TSC", "TSC": "TCS", "JSR": "JMP JSL", "JSL": "JML JSR",
    "JMP": "JSR", "JML": "JSL", "RTS": "RTL", "RTL": "RTS", "BRA": "BRL BEQ", "BIT": "AND",
    "TSB": "TRB", "TRB": "TSB", "MVN": "MVP", "MVP": "MVN", "XBA": "XCE",
}


@dataclass(frozen=True)
class InstructionSpan:
    """An instruction inside a line: its line index and the spans of mnemonic and operand."""

    index: int
    mnemonic: str          # upper case, without suffix
    suffix: str            # ".b" / ".w" / ".l" or ""
    operand: str
    mn_span: tuple[int, int]
    op_span: tuple[int, int] | None

    @property
    def word(self) -> str:
        return self.mnemonic + self.suffix

    def text(self) -> str:
        return f"{self.word} {self.operand}".strip()


@dataclass(frozen=True)
class Corruption:
    """A corrupted snippet and what was done to it."""

    kind: str
    text: str


def instruction_spans(lines: Sequence[str]) -> list[InstructionSpan]:
    """The instructions of ``lines`` with their spans (labels, directives, macros skipped)."""
    found = []
    for index, line in enumerate(lines):
        code = strip_comment(line)
        starts = [0] + [m.end() for m in _SEPARATOR.finditer(code)]
        ends = [m.start() for m in _SEPARATOR.finditer(code)] + [len(code)]
        for start, end in zip(starts, ends):
            match = _STATEMENT.match(code, start, end)
            if not match or match.group("mn").upper() not in op.MNEMONICS:
                continue
            op_span = (match.start("op"), match.end("op")) if match.group("op") else None
            found.append(InstructionSpan(index, match.group("mn").upper(),
                                   (match.group("sfx") or "").lower(), match.group("op") or "",
                                   (match.start("mn"), match.end("sfx") if match.group("sfx")
                                    else match.end("mn")), op_span))
    return found


def _replace(lines: list[str], index: int, span: tuple[int, int], new: str) -> list[str]:
    out = list(lines)
    line = out[index]
    out[index] = line[:span[0]] + new + line[span[1]:]
    return out


def _with_operand(lines: list[str], st: InstructionSpan, operand: str) -> list[str]:
    if st.op_span is None:
        return _replace(lines, st.index, (st.mn_span[1], st.mn_span[1]), " " + operand)
    return _replace(lines, st.index, st.op_span, operand)


@lru_cache(maxsize=65536)
def _errors(statement: str) -> frozenset[str]:
    """Error codes the validator gives ``statement`` on its own."""
    return frozenset(issue.code for issue in validate(statement + "\n").errors)


def _shuffled(rng: random.Random, items: Sequence) -> list:
    items = list(items)
    rng.shuffle(items)
    return items


def _same_case(new: str, like: str) -> str:
    return new.lower() if like.islower() else new


def _flow(lines: Sequence[str], by_statement: bool = False) -> dict[int, Effects]:
    """``flow.line_effects`` of the snippet's instruction lines, or of each statement (keyed
    by its position in ``instruction_spans(lines)``) when ``by_statement``."""
    parsed = instruction_spans(lines)
    firsts = {st.index: position for position, st in reversed(list(enumerate(parsed)))}
    return line_effects(
        (position if by_statement else st.index, st.mnemonic, st.operand,
         firsts[st.index] == position and bool(lines[st.index][:st.mn_span[0]].strip()))
        for position, st in enumerate(parsed))


# -- the corruptions ---------------------------------------------------------------------------

def wrong_mnemonic(lines, rng, pool):
    """A real mnemonic a programmer could confuse with the right one (LDA->STA, TAX->TXA,
    REP->SEP, PHA->PLA …) that takes the same operand, so the line still assembles but no
    longer gives the rest of the snippet what it used (see ``flow.starves``); a swap the
    snippet cannot show (BEQ->BNE, INC->DEC with nothing after) is not made."""
    flow = _flow(lines, by_statement=True)
    for position, st in _shuffled(rng, list(enumerate(instruction_spans(lines)))):
        if _errors(st.text()):
            continue
        fed = fed_resources(flow, position)
        for other in _shuffled(rng, _CONFUSIONS.get(st.mnemonic, "").split()):
            swapped = effects(other, st.operand)
            if not starves(fed, swapped, flips_width={st.mnemonic, other} == {"REP", "SEP"}):
                continue
            if not _errors(f"{other}{st.suffix} {st.operand}".strip()):
                raw = lines[st.index][st.mn_span[0]:st.mn_span[0] + 3]
                return _replace(lines, st.index, (st.mn_span[0], st.mn_span[0] + 3),
                                _same_case(other, raw))
    return None


def unknown_mnemonic(lines, rng, pool):
    """One letter of a mnemonic changed so that it is no 65816 instruction (LDA->LDB)."""
    sts = instruction_spans(lines)
    if not sts:
        return None
    st = rng.choice(sts)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for position in _shuffled(rng, range(3)):
        for letter in _shuffled(rng, letters):
            word = st.mnemonic[:position] + letter + st.mnemonic[position + 1:]
            if word not in op.MNEMONICS and word != st.mnemonic:
                raw = lines[st.index][st.mn_span[0]:st.mn_span[0] + 3]
                return _replace(lines, st.index, (st.mn_span[0], st.mn_span[0] + 3),
                                _same_case(word, raw))
    return None


def _mode_variants(st: InstructionSpan) -> list[str]:
    operand = st.operand
    if not operand:
        return ["$12", "#$01", "$1234,X"]
    if operand.startswith("#"):
        bare = operand[1:]
        return [f"({bare}),Y", f"{bare},S", f"[{bare}],Y", f"({bare},X)"]
    bare = _INDEX.sub("", operand).strip("()[]") or operand
    return ["#" + bare, f"{bare},Y", f"{bare},X", f"({bare})", f"[{bare}]", f"({bare}),Y",
            f"{bare},S", f"({bare},S),Y", f"[{bare}],Y", f"({bare},X)"]


def impossible_mode(lines, rng, pool):
    """An addressing mode the mnemonic does not have (STA #$01, STX $1234,X, LDA [$1234],
    RTS $12 …): the opcode table says no, and the validator rejects it."""
    for st in _shuffled(rng, instruction_spans(lines)):
        if _errors(st.text()) or st.mnemonic in op.BRANCHES:
            continue
        for operand in _shuffled(rng, _mode_variants(st)):
            if operand != st.operand and _errors(f"{st.word} {operand}") & _MODE_ERRORS:
                return _with_operand(lines, st, operand)
    return None


def _width_flags(st: InstructionSpan) -> int:
    value = _HEX.fullmatch(st.operand[1:]) if st.operand.startswith("#") else None
    return int(value.group(1), 16) if value else 0


def _resized(operand: str, wide: bool) -> str | None:
    match = _HEX.fullmatch(operand[1:]) if operand.startswith("#") else None
    if not match:
        return None
    digits = match.group(1)
    if wide and len(digits) <= 2:
        return "#$" + digits.rjust(2, "0").rjust(4, "0")
    if not wide and len(digits) == 4:
        return "#$" + digits[2:]
    return None


def wrong_width(lines, rng, pool):
    """An immediate of the wrong width for the M/X flag set by REP/SEP: ``LDA #$12`` after
    ``REP #$20`` (16-bit A expects ``#$0012``) or ``LDA #$1234`` after ``SEP #$20``. Where the
    snippet sets no flag before such an immediate, a contradicting REP/SEP is put before it."""
    state = {"m": None, "x": None}  # True: 16-bit
    candidates = []
    for st in instruction_spans(lines):
        if st.mnemonic in ("REP", "SEP"):
            flags = _width_flags(st)
            for flag, bit in (("m", 0x20), ("x", 0x10)):
                if flags & bit:
                    state[flag] = st.mnemonic == "REP"
            continue
        flag = "m" if st.mnemonic in op.M_WIDTH else "x" if st.mnemonic in op.X_WIDTH else None
        if flag and st.operand.startswith("#") and st.suffix != ".l":
            candidates.append((st, flag, state[flag]))
    for st, flag, wide in _shuffled(rng, candidates):
        if wide is not None:
            operand = _resized(st.operand, not wide)
            if operand:
                fixed = _with_operand(lines, st, operand)
                if st.suffix:  # keep the suffix in step with the literal: the width is wrong
                    new_sfx = ".w" if not wide else ".b"
                    fixed = _replace(fixed, st.index, (st.mn_span[0] + 3, st.mn_span[1]), new_sfx)
                return fixed
            continue
        match = _HEX.fullmatch(st.operand[1:])
        if not match or len(match.group(1)) not in (2, 4):
            continue
        is_wide = len(match.group(1)) == 4
        line = lines[st.index]
        indent = line[:len(line) - len(line.lstrip())]
        bit = "$20" if flag == "m" else "$10"
        setting = f"{indent}{'SEP' if is_wide else 'REP'} #{bit}"
        return list(lines[:st.index]) + [setting] + list(lines[st.index:])
    return None


def address_length(lines, rng, pool):
    """A truncated or padded address: a digit dropped or added ($7E1234 -> $7E123,
    $0D80 -> $0D800), so the operand is no 1-, 2- or 3-byte value any more."""
    for st in _shuffled(rng, instruction_spans(lines)):
        if st.operand.startswith("#") or st.op_span is None:
            continue
        match = _HEX.search(st.operand)
        if not match or len(match.group(1)) not in (2, 4, 6):
            continue
        digits = match.group(1)
        if rng.random() < 0.5:
            new = digits[:-1] if rng.random() < 0.5 else digits[1:]
        else:
            new = digits + rng.choice("0123456789ABCDEF") if rng.random() < 0.5 else "0" + digits
        operand = st.operand[:match.start(1)] + new + st.operand[match.end(1):]
        return _with_operand(lines, st, operand)
    return None


def swapped_index(lines, rng, pool):
    """X and Y swapped in an indexed operand ($0D00,X -> $0D00,Y; ($00),Y -> ($00),X)."""
    for st in _shuffled(rng, instruction_spans(lines)):
        match = _INDEX.search(st.operand)
        if not match:
            continue
        register = match.group(1)
        swapped = {"X": "Y", "Y": "X", "x": "y", "y": "x"}[register]
        operand = st.operand[:match.start(1)] + swapped + st.operand[match.end(1):]
        return _with_operand(lines, st, operand)
    return None


def immediate_marker(lines, rng, pool):
    """``#`` dropped (LDA #$01 -> LDA $01: a load from memory) or added (LDA $01 -> LDA #$01)."""
    for st in _shuffled(rng, instruction_spans(lines)):
        if st.operand.startswith("#") and st.mnemonic not in ("REP", "SEP"):
            return _with_operand(lines, st, st.operand[1:])
        takes_immediate = st.mnemonic in op.M_WIDTH or st.mnemonic in op.X_WIDTH
        plain = st.operand and st.operand[0] not in "([#" and not _INDEX.search(st.operand)
        if takes_immediate and plain:
            return _with_operand(lines, st, "#" + st.operand)
    return None


def _defined_labels(lines: Sequence[str]) -> set[str]:
    names = set()
    for line in lines:
        match = _LABEL_DEF.match(strip_comment(line))
        if match:
            names.add(match.group(1).lstrip("#?"))
    return names


def broken_label(lines, rng, pool):
    """A label reference broken: a typo in the name (``.loop`` -> ``.lop``) or an anonymous
    label pointing the wrong way (``BCC +`` -> ``BCC -``)."""
    defined = _defined_labels(lines)
    for st in _shuffled(rng, instruction_spans(lines)):
        if st.mnemonic not in op.BRANCHES and st.mnemonic not in _JUMPS:
            continue
        target = st.operand
        if re.fullmatch(r"[+]+|[-]+", target):
            flipped = ("-" if target[0] == "+" else "+") * len(target)
            return _with_operand(lines, st, rng.choice([flipped, target + target[0]]))
        if not _NAME_REF.match(target) or len(target.lstrip(".")) < 3:
            continue
        body_start = len(target) - len(target.lstrip("."))
        for _ in range(8):
            position = rng.randrange(body_start, len(target))
            edit = rng.choice(("drop", "double", "swap"))
            if edit == "drop":
                new = target[:position] + target[position + 1:]
            elif edit == "double":
                new = target[:position] + target[position] + target[position:]
            else:
                position = min(position, len(target) - 2)
                new = (target[:position] + target[position + 1] + target[position]
                       + target[position + 2:])
            if new != target and new not in defined and new.lstrip(".") and new[-1] != ".":
                return _with_operand(lines, st, new)
    return None


def shuffled_order(lines, rng, pool):
    """Two to four consecutive instruction lines put in an order that changes what the code
    does: some line moves before one it depends on (a store before the load of its value, a
    branch before its compare, an operation before the REP/SEP that sizes it). Reordering
    independent lines is no mistake, so it is never produced."""
    flow = _flow(lines)
    code_lines = sorted(flow)
    runs = [code_lines[i:i + n] for n in (2, 3, 4) for i in range(len(code_lines) - n + 1)
            if code_lines[i + n - 1] - code_lines[i] == n - 1]
    for run in _shuffled(rng, runs):
        if len({lines[i] for i in run}) < 2:
            continue
        for _ in range(6):
            order = _shuffled(rng, run)
            if order != run and breaks_dependency(order, flow):
                out = list(lines)
                out[run[0]:run[-1] + 1] = [lines[i] for i in order]
                return out
    return None


def foreign_line(lines, rng, pool):
    """An instruction line of another routine put in place of one of this snippet's whose
    value the rest of the snippet uses (the line that loads what is stored next, the
    compare a branch tests…), so that value is no longer made there."""
    flow = _flow(lines)
    own = {line.strip() for line in lines}
    candidates = [line.strip() for line in pool if line.strip() and line.strip() not in own]
    feeding = [(index, fed) for index in sorted(flow) if (fed := fed_resources(flow, index))]
    for index, fed in _shuffled(rng, feeding):
        for candidate in _shuffled(rng, candidates)[:16]:
            replacement = _flow([candidate]).get(0)
            if replacement is not None and starves(fed, replacement):
                line = lines[index]
                out = list(lines)
                out[index] = line[:len(line) - len(line.lstrip())] + candidate
                return out
    return None


CORRUPTIONS: dict[str, Corruptor] = {
    "wrong_mnemonic": wrong_mnemonic,
    "unknown_mnemonic": unknown_mnemonic,
    "impossible_mode": impossible_mode,
    "wrong_width": wrong_width,
    "address_length": address_length,
    "swapped_index": swapped_index,
    "immediate_marker": immediate_marker,
    "broken_label": broken_label,
    "shuffled_order": shuffled_order,
    "foreign_line": foreign_line,
}
KINDS = tuple(CORRUPTIONS)


def corrupt(text: str, kind: str, seed: int = 42, pool: Sequence[str] = ()) -> Corruption | None:
    """``text`` with one mistake of ``kind`` (see ``KINDS``), or None when the kind does not
    apply to it. Deterministic: the random choices are seeded by (seed, kind, text)."""
    if kind not in CORRUPTIONS:
        raise ValueError(f"unknown corruption kind {kind!r} (one of {', '.join(KINDS)})")
    rng = random.Random(f"{seed}\x00{kind}\x00{text}")
    lines = text.split("\n")
    out = CORRUPTIONS[kind](lines, rng, pool)
    if out is None:
        return None
    corrupted = "\n".join(out)
    return Corruption(kind, corrupted) if corrupted != text else None


def corrupt_all(text: str, seed: int = 42, pool: Sequence[str] = (),
                kinds: Sequence[str] = KINDS) -> list[Corruption]:
    """Every applicable corruption of ``text``, one per kind, in ``kinds`` order."""
    return [c for kind in kinds if (c := corrupt(text, kind, seed, pool)) is not None]
