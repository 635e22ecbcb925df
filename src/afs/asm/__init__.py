"""The 65816 / asar toolkit.

- ``afs.asm.opcodes``: the instruction set as data (mnemonics, modes, opcode bytes, lengths);
- ``afs.asm.operands``: which encoding asar picks for an operand (asar 1.91's rules);
- ``afs.asm.expressions``: asar math and number literals;
- ``afs.asm.validate`` / ``validate_sample``: the validator (built-in, or a real asar).
"""

from afs.asm.validator import (ValidationIssue, ValidationResult, code_blocks, validate,
                               validate_sample)

__all__ = ["ValidationIssue", "ValidationResult", "code_blocks", "validate", "validate_sample"]
