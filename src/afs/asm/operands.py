"""Addressing mode of an instruction from the shape of its operand.

Covers literal operands (`$hex` numbers, whose digit count gives their size, or a `.b/.w/.l`
suffix on the mnemonic); labels and expressions come with the full line parser.
"""

from __future__ import annotations

import re

from afs.asm import opcodes as op

_NUMBER = r"\$(?P<hex>[0-9A-Fa-f]+)"
# operand shape -> (mode for a 1-byte, 2-byte, 3-byte value); None where no such mode exists
_SHAPES = [
    (re.compile(rf"^\({_NUMBER},s\),y$", re.I), (op.STACK_RELATIVE_INDIRECT_Y, None, None)),
    (re.compile(rf"^\({_NUMBER},x\)$", re.I), (op.DIRECT_X_INDIRECT, op.ABSOLUTE_X_INDIRECT, None)),
    (re.compile(rf"^\({_NUMBER}\),y$", re.I), (op.DIRECT_INDIRECT_Y, None, None)),
    (re.compile(rf"^\({_NUMBER}\)$", re.I), (op.DIRECT_INDIRECT, op.ABSOLUTE_INDIRECT, None)),
    (re.compile(rf"^\[{_NUMBER}\],y$", re.I), (op.DIRECT_INDIRECT_LONG_Y, None, None)),
    (re.compile(rf"^\[{_NUMBER}\]$", re.I), (op.DIRECT_INDIRECT_LONG, op.ABSOLUTE_INDIRECT_LONG, None)),
    (re.compile(rf"^{_NUMBER},s$", re.I), (op.STACK_RELATIVE, None, None)),
    (re.compile(rf"^{_NUMBER},x$", re.I), (op.DIRECT_X, op.ABSOLUTE_X, op.LONG_X)),
    (re.compile(rf"^{_NUMBER},y$", re.I), (op.DIRECT_Y, op.ABSOLUTE_Y, None)),
    (re.compile(rf"^{_NUMBER}$", re.I), (op.DIRECT, op.ABSOLUTE, op.LONG)),
]
_SUFFIX_BYTES = {"b": 1, "w": 2, "l": 3}


class OperandError(ValueError):
    """The operand has no addressing mode for this mnemonic; the message says why."""


def split_mnemonic(word: str) -> tuple[str, int | None]:
    """``LDA.w`` -> ("LDA", 2): the mnemonic and the operand size its suffix asks for."""
    name, _, suffix = word.partition(".")
    return name.upper(), _SUFFIX_BYTES.get(suffix.lower()) if suffix else None


def _value_bytes(hex_digits: str) -> int:
    return min(3, (len(hex_digits) + 1) // 2)


def _without_operand(mnemonic: str, modes: frozenset[str]) -> str:
    for mode in (op.ACCUMULATOR, op.IMPLIED):
        if mode in modes:
            return mode
    if mnemonic in op.OPTIONAL_SIGNATURE:
        return op.IMMEDIATE_8
    raise OperandError(f"{mnemonic} needs an operand")


def _immediate(mnemonic: str, modes: frozenset[str]) -> str:
    for mode in (op.IMMEDIATE_M, op.IMMEDIATE_X, op.IMMEDIATE_8):
        if mode in modes:
            return mode
    store = " (a store has no immediate form)" if mnemonic in op.STORES else ""
    raise OperandError(f"{mnemonic} has no immediate addressing mode{store}")


def addressing_mode(word: str, operand: str) -> str:
    """Addressing mode of ``word operand`` (e.g. ``"LDA.l", "$12,x"`` -> long_x)."""
    mnemonic, size = split_mnemonic(word)
    modes = op.modes_of(mnemonic)
    if not modes:
        raise OperandError(f"unknown mnemonic {mnemonic}")
    operand = operand.strip()
    for fixed in (op.RELATIVE, op.RELATIVE_LONG, op.BLOCK_MOVE):
        if fixed in modes:
            return fixed
    if not operand or operand.upper() == "A":
        return _without_operand(mnemonic, modes)
    if operand.startswith("#"):
        return _immediate(mnemonic, modes)
    for pattern, by_size in _SHAPES:
        match = pattern.match(operand)
        if match:
            return _sized_mode(mnemonic, modes, by_size, size or _value_bytes(match["hex"]), operand)
    raise OperandError(f"cannot read operand {operand!r}")


def _sized_mode(mnemonic: str, modes: frozenset[str], by_size: tuple, size: int, operand: str) -> str:
    # a value that fits a smaller mode may be written wider: try its size, then wider ones
    for mode in by_size[size - 1:]:
        if mode is not None and mode in modes:
            return mode
    raise OperandError(f"{mnemonic} has no addressing mode for {operand!r}")
