"""The 65816 / asar toolkit.

- ``afs.asm.opcodes``: the instruction set as data (mnemonics, modes, opcode bytes, lengths);
- ``afs.asm.operands``: which encoding asar picks for an operand (asar 1.91's rules);
- ``afs.asm.expressions``: asar math and number literals;
- ``afs.asm.diagnostics``: ValidationIssue / ValidationResult and every error code, in one table;
- ``afs.asm.directives`` / ``afs.asm.macros``: asar's commands and macros, as the validator
  checks them;
- ``afs.asm.blocks``: where the asar code is in a text (fenced blocks, ``code_blocks``);
- ``afs.asm.validate`` / ``validate_sample``: the validator (built-in, or a real asar).

Names are imported on first use, so that a light module (``blocks``, ``diagnostics``) can be
imported without the whole validator.
"""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "ValidationIssue": "afs.asm.diagnostics",
    "ValidationResult": "afs.asm.diagnostics",
    "code_blocks": "afs.asm.blocks",
    "validate": "afs.asm.validator",
    "validate_sample": "afs.asm.validator",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
