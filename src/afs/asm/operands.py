"""Which encoding asar picks for `MNEMONIC[.size] operand`, following asar 1.91's own rules.

asar decides the addressing mode from the operand's *spelling*, in a fixed order: `#…`
immediate, `(…,s),y`, `[…],y`, `(…),y`, `…,s`, `[…]`, `(…,x)`, `(…)` (only when the parentheses
wrap the whole operand), `…,x`, `…,y`, then a plain address. So `LDA ($12),X` is `LDA $12,X`
(the parentheses are math). The operand's width comes from its literals (`$12` one byte,
`$0012` two), from the labels it names (two bytes in the same bank, three otherwise), or from a
`.b/.w/.l` suffix; a narrower value may widen to a mode that exists (`STZ $12,X` is fine,
`LDA $12,Y` becomes absolute,Y) unless a suffix fixes the width.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from afs.asm import opcodes as op
from afs.asm.diagnostics import (BAD_IMMEDIATE, BAD_INDEX, BAD_MODE, BAD_SUFFIX,
                                 BLOCK_MOVE_OPERANDS, IMMEDIATE_ON_STORE, UNKNOWN_MNEMONIC)

# operand shapes, in the order asar tries them
NONE, ACC, IMMEDIATE = "none", "accumulator", "immediate"
SR_INDIRECT_Y, LONG_INDIRECT_Y, INDIRECT_Y = "(sr,s),y", "[dp],y", "(dp),y"
STACK, LONG_INDIRECT, X_INDIRECT, INDIRECT = "sr,s", "[addr]", "(addr,x)", "(addr)"
INDEX_X, INDEX_Y, PLAIN = "addr,x", "addr,y", "addr"

# shape -> the mode for a 1-, 2- and 3-byte operand (None where no such mode exists)
_SHAPE_MODES = {
    PLAIN: (op.DIRECT, op.ABSOLUTE, op.LONG),
    INDEX_X: (op.DIRECT_X, op.ABSOLUTE_X, op.LONG_X),
    INDEX_Y: (op.DIRECT_Y, op.ABSOLUTE_Y, None),
    STACK: (op.STACK_RELATIVE, None, None),
    SR_INDIRECT_Y: (op.STACK_RELATIVE_INDIRECT_Y, None, None),
    LONG_INDIRECT_Y: (op.DIRECT_INDIRECT_LONG_Y, None, None),
    INDIRECT_Y: (op.DIRECT_INDIRECT_Y, None, None),
    LONG_INDIRECT: (op.DIRECT_INDIRECT_LONG, op.ABSOLUTE_INDIRECT_LONG, None),
    X_INDIRECT: (op.DIRECT_X_INDIRECT, op.ABSOLUTE_X_INDIRECT, None),
    INDIRECT: (op.DIRECT_INDIRECT, op.ABSOLUTE_INDIRECT, None),
}
_INDEXED = {INDEX_X: "X", INDEX_Y: "Y", STACK: "S", SR_INDIRECT_Y: "Y", LONG_INDIRECT_Y: "Y",
            INDIRECT_Y: "Y", X_INDIRECT: "X"}
_SUFFIX_BYTES = {"b": 1, "w": 2, "l": 3}
# `ASL #3` assembles ASL three times (asar's "pseudo opcodes")
REPEATABLE = frozenset({"ASL", "LSR", "ROL", "ROR", "INC", "DEC", "INX", "DEX", "INY", "DEY",
                        "NOP"})
_ALU = frozenset({"ORA", "AND", "EOR", "ADC", "STA", "LDA", "CMP", "SBC"})


class OperandError(ValueError):
    """The instruction has no encoding in asar; ``code`` names the kind of problem."""

    def __init__(self, message: str, code: str = BAD_MODE):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Operand:
    """An operand split into its shape and the expression inside it (``offset`` is where the
    expression starts within the operand text)."""

    shape: str
    expression: str = ""
    offset: int = 0


@lru_cache(maxsize=4096)
def split_mnemonic(word: str) -> tuple[str, int | None]:
    """``LDA.w`` -> ("LDA", 2): the mnemonic and the operand size its suffix asks for."""
    name, dot, suffix = word.partition(".")
    if not dot:
        return name.upper(), None
    size = _SUFFIX_BYTES.get(suffix.lower())
    if size is None:
        raise OperandError(f"unknown size suffix '.{suffix}' (asar knows .b, .w and .l)",
                           BAD_SUFFIX)
    return name.upper(), size


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        if depth < 0:
            return False
    return depth == 0


@lru_cache(maxsize=65536)
def split_operand(text: str) -> Operand:
    """The shape of an operand, tried in asar's order (case-insensitive index registers)."""
    low = text.lower()
    if not text:
        return Operand(NONE)
    if low == "a":
        return Operand(ACC)
    if text[0] == "#":
        return Operand(IMMEDIATE, text[1:], 1)
    for opening, closing, shape in (("(", ",s),y", SR_INDIRECT_Y), ("[", "],y", LONG_INDIRECT_Y),
                                    ("(", "),y", INDIRECT_Y), ("", ",s", STACK),
                                    ("[", "]", LONG_INDIRECT), ("(", ",x)", X_INDIRECT)):
        if low.startswith(opening) and low.endswith(closing) \
                and len(low) >= len(opening) + len(closing):
            return Operand(shape, text[len(opening):len(text) - len(closing)], len(opening))
    if low[0] == "(" and low[-1] == ")" and _balanced(text[1:-1]):
        return Operand(INDIRECT, text[1:-1], 1)
    if low.endswith(",x"):
        return Operand(INDEX_X, text[:-2])
    if low.endswith(",y"):
        return Operand(INDEX_Y, text[:-2])
    return Operand(PLAIN, text)


@dataclass(frozen=True)
class Encoding:
    """What asar assembles: the mode, the byte length and any warning it gives."""

    mode: str
    length: int
    warning: str | None = None


def _sized(modes, by_size: tuple, width: int, explicit: bool) -> str | None:
    # asar's as1/as2/as3: the exact width, or (without a suffix) a wider mode that exists
    for size, mode in enumerate(by_size, 1):
        if mode is not None and mode in modes and (width == size or (not explicit and width < size)):
            return mode
    return None


def _no_operand(mnemonic: str, modes, suffix: int | None) -> Encoding:
    if suffix is not None:
        raise OperandError(f"a size suffix needs an operand; write {mnemonic} without it",
                           BAD_SUFFIX)
    for mode in (op.IMPLIED, op.ACCUMULATOR):
        if mode in modes:
            return Encoding(mode, 1)
    if mnemonic in op.OPTIONAL_SIGNATURE:
        return Encoding(op.IMMEDIATE_8, 2)
    raise OperandError(f"{mnemonic} needs an operand")


def _immediate(mnemonic: str, modes, width: int, explicit: bool, count: int | None) -> Encoding:
    if op.IMMEDIATE_M in modes or op.IMMEDIATE_X in modes:
        return Encoding(op.IMMEDIATE_M if op.IMMEDIATE_M in modes else op.IMMEDIATE_X,
                        2 if width == 1 else 3)
    if mnemonic in REPEATABLE:  # the value is a repeat count
        if count is not None and not 0 <= count < 0x10000:
            raise OperandError(f"{mnemonic} #{count} repeats {mnemonic} {count} times: "
                               "the count must be 0..65535", BAD_IMMEDIATE)
        return Encoding(op.ACCUMULATOR if op.ACCUMULATOR in modes else op.IMPLIED,
                        max(count or 0, 0))
    if op.IMMEDIATE_8 in modes:
        if width not in (0, 1):
            raise OperandError(f"{mnemonic} takes a one-byte immediate (#$00-#$FF)",
                               BAD_IMMEDIATE)
        return Encoding(op.IMMEDIATE_8, 2)
    if mnemonic in op.STORES:
        raise OperandError(f"{mnemonic} has no immediate mode: a store writes to memory",
                           IMMEDIATE_ON_STORE)
    raise OperandError(f"{mnemonic} has no immediate mode (#)")


def _addressed(mnemonic: str, modes, operand: Operand, width: int, explicit: bool) -> Encoding:
    warning = None
    if operand.shape == INDEX_Y and width == 1 and mnemonic in _ALU:
        width, warning = 2, f"{mnemonic} has no direct page,Y mode; assembled as absolute,Y"
    if operand.shape == INDEX_X and operand.expression.startswith("(") and \
            _balanced(operand.expression[1:-1]) and operand.expression.endswith(")"):
        warning = "(dp),X does not exist: the parentheses are math and this is dp,X"
    usable = modes - {op.LONG} if mnemonic == "JMP" else modes  # JMP long is JML in asar
    mode = _sized(usable, _SHAPE_MODES[operand.shape], width, explicit)
    if mode is None:
        raise _no_mode(mnemonic, usable, operand, width, explicit)
    return Encoding(mode, 1 + op.OPERAND_BYTES[mode], warning)


def _no_mode(mnemonic: str, modes, operand: Operand, width: int, explicit: bool) -> OperandError:
    if mnemonic == "JMP" and operand.shape == PLAIN and width == 3:
        return OperandError("JMP cannot take a long address in asar; use JML")
    register = _INDEXED.get(operand.shape)
    if register and not any(m in modes for m in _SHAPE_MODES[operand.shape] if m):
        return OperandError(f"{mnemonic} has no {operand.shape} mode (',{register}' indexing)",
                            BAD_INDEX)
    if any(m in modes for m in _SHAPE_MODES[operand.shape] if m):
        sizes = {1: "one-byte", 2: "two-byte", 3: "three-byte"}
        return OperandError(f"{mnemonic} has no {operand.shape} mode for a "
                            f"{sizes.get(width, f'{width}-byte')} operand")
    return OperandError(f"{mnemonic} has no {operand.shape} addressing mode")


def _block_move(mnemonic: str, operand: Operand, width: int, arguments: int,
                explicit: bool) -> Encoding:
    if arguments == 2 and explicit:
        raise OperandError(f"{mnemonic} with two banks takes no size suffix", BAD_SUFFIX)
    if arguments == 2 or (arguments == 1 and width in (0, 2) and operand.shape == PLAIN):
        return Encoding(op.BLOCK_MOVE, 3)
    raise OperandError(f"{mnemonic} takes two banks: {mnemonic} $7E,$7F (destination, source) "
                       f"or {mnemonic} $7E7F", BLOCK_MOVE_OPERANDS)


def encode(word: str, operand: Operand, width: int, count: int | None = None,
           arguments: int = 1) -> Encoding:
    """The encoding asar picks for ``word`` with ``operand`` whose value is ``width`` bytes
    wide (0: unknown). ``count`` is the value of an immediate (for repeat forms) and
    ``arguments`` the number of comma-separated values (for MVN/MVP). Raises OperandError."""
    mnemonic, suffix = split_mnemonic(word)
    modes = op.modes_of(mnemonic)
    if not modes:
        raise OperandError(f"unknown mnemonic {mnemonic}", UNKNOWN_MNEMONIC)
    explicit = suffix is not None
    width = suffix or min(width, 3)  # asar reads anything wider than three bytes as three
    if operand.shape == NONE:
        return _no_operand(mnemonic, modes, suffix)
    if op.BLOCK_MOVE in modes:
        return _block_move(mnemonic, operand, width, arguments, explicit)
    if operand.shape == PLAIN and arguments > 1:
        register = operand.expression.rsplit(",", 1)[1]
        raise OperandError(f"',{register}' is not an index register (asar knows ,X ,Y and ,S)",
                           BAD_INDEX)
    if operand.shape == ACC:
        if op.ACCUMULATOR in modes and not explicit:
            return Encoding(op.ACCUMULATOR, 1)
        raise OperandError(f"{mnemonic} has no accumulator mode ({mnemonic} A)")
    if operand.shape == IMMEDIATE:
        return _immediate(mnemonic, modes, width, explicit, count)
    if op.RELATIVE in modes or op.RELATIVE_LONG in modes:
        if operand.shape != PLAIN:
            raise OperandError(f"{mnemonic} is a branch: its operand is a label or address, "
                               f"not {operand.shape}", BAD_INDEX if operand.shape in _INDEXED
                               else BAD_MODE)
        mode = op.RELATIVE if op.RELATIVE in modes else op.RELATIVE_LONG
        return Encoding(mode, 1 + op.OPERAND_BYTES[mode])
    return _addressed(mnemonic, modes, operand, width, explicit)


def addressing_mode(word: str, operand: str) -> str:
    """Addressing mode of ``word operand`` with a literal operand (e.g. ``"LDA.l", "$12,x"`` ->
    long_x); a convenience over ``encode`` for literal `$hex` operands."""
    from afs.asm.expressions import ExpressionError, evaluate

    shape = split_operand(operand.strip())
    arguments = shape.expression.count(",") + 1 if shape.shape == PLAIN else 1
    first = shape.expression.split(",")[0]
    try:  # `+`/`-` are anonymous labels
        value = evaluate(first) if first.strip("+-") else None
    except ExpressionError as error:
        raise OperandError(f"cannot read operand {operand!r}: {error}", error.code) from None
    width = value.width if value else 0
    count = value.value if value else None
    return encode(word, shape, width, count, arguments).mode
