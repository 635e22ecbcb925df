"""What a validator says about asar source: ``ValidationIssue``, ``ValidationResult`` and every
code an issue can carry, in one table (``CODES``), as asar keeps its own in errors.h.

The built-in validator and the asar backend both report through these, so a result reads the
same whichever produced it. Of ``afs.asm`` it imports only ``source`` (the statements issues
point at): the other modules stand on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from afs.asm.source import Statement

# expressions and numbers
BAD_NUMBER = "bad_number"
UNBALANCED_PAREN = "unbalanced_paren"
BAD_EXPRESSION = "bad_expression"
# instructions and their operands
UNKNOWN_MNEMONIC = "unknown_mnemonic"
BAD_MODE = "bad_addressing_mode"
IMMEDIATE_ON_STORE = "immediate_on_store"
BAD_INDEX = "bad_index"
BAD_SUFFIX = "bad_size_suffix"
BAD_IMMEDIATE = "bad_immediate_size"
BLOCK_MOVE_OPERANDS = "block_move_operands"
BRANCH_RANGE = "branch_out_of_range"
# labels, defines, macros, blocks, commands
BAD_LABEL = "bad_label"
BAD_DEFINE = "bad_define"
BAD_MACRO = "bad_macro"
BAD_BLOCK = "unbalanced_block"
BAD_DIRECTIVE = "bad_directive"
UNKNOWN_COMMAND = "unknown_command"
BANK_CROSSED = "bad_address"
USER_ERROR = "error_command"
# warnings
UNRESOLVED = "unresolved"
ASAR_WARNING = "asar_warning"
OUTSIDE_CONTEXT = "outside_context"
# files: an incsrc/incbin that cannot be read, an incsrc that includes itself
MISSING_FILE = "missing_file"
INCLUDE_CYCLE = "include_cycle"
# the asar backend, when asar fails without a message about the text
ASAR_FAILED = "asar_failed"

# code -> what it means; the asar backend also passes asar's own ids through (its errors.h)
CODES: dict[str, str] = {
    BAD_NUMBER: "a number literal asar cannot read",
    UNBALANCED_PAREN: "a parenthesis without its partner",
    BAD_EXPRESSION: "an expression asar cannot read",
    UNKNOWN_MNEMONIC: "not a 65816 instruction",
    BAD_MODE: "the instruction has no such addressing mode",
    IMMEDIATE_ON_STORE: "an immediate operand on an instruction that writes memory",
    BAD_INDEX: "an index register the addressing mode does not take",
    BAD_SUFFIX: "a size suffix (.b/.w/.l) that does not fit",
    BAD_IMMEDIATE: "an immediate value of the wrong size",
    BLOCK_MOVE_OPERANDS: "MVN/MVP without two banks",
    BRANCH_RANGE: "a branch whose target is out of its reach",
    BAD_LABEL: "a malformed, misplaced or twice-defined label",
    BAD_DEFINE: "a malformed define",
    BAD_MACRO: "a malformed macro definition or call",
    BAD_BLOCK: "an if/while/for/struct/push… without its end, or an end without its start",
    BAD_DIRECTIVE: "an asar command with missing or malformed arguments",
    UNKNOWN_COMMAND: "a statement that is no instruction, command or assignment",
    BANK_CROSSED: "code or data outside ROM or across a bank border",
    USER_ERROR: "the text's own error, assert or warnpc fired",
    MISSING_FILE: "an incsrc/incbin file that is not found (followed from a file's path)",
    INCLUDE_CYCLE: "a file that includes itself, directly or through others",
    UNRESOLVED: "(warning) a name defined elsewhere, e.g. in another file",
    ASAR_WARNING: "(warning) what asar itself warns about",
    OUTSIDE_CONTEXT: "(warning) a pullpc, pushpc or sub label that pairs with a file not read "
                     "here (the file including this one)",
    ASAR_FAILED: "asar failed without a message about the text",
}


class ValidationIssue(NamedTuple):
    """One problem: 1-based line and column, a stable code, a message saying what is wrong,
    and the file it is in when that is not the text validated itself (a file reached through
    `incsrc`, as a path from the validated file's path); "" for the text itself."""

    line: int
    column: int
    code: str
    message: str
    file: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:" if self.file else ""
        return f"{where}{self.line}:{self.column}: {self.code} {self.message}"


@dataclass
class ValidationResult:
    """Verdict on a piece of asar source: ``valid`` is False when there is any error."""

    valid: bool
    errors: list[ValidationIssue] = field(default_factory=list)
    warnings: list[ValidationIssue] = field(default_factory=list)
    lines: int = 0

    def __bool__(self) -> bool:
        return self.valid

    def to_dict(self) -> dict:
        return {"valid": self.valid, "lines": self.lines,
                "errors": [issue._asdict() for issue in self.errors],
                "warnings": [issue._asdict() for issue in self.warnings]}


def line_count(text: str) -> int:
    """Lines of ``text`` as a result counts them (a last line without a newline counts)."""
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


class Reporter(Protocol):
    """Where the parts of the validator (commands, macros) report what they find."""

    def error(self, statement: Statement, code: str, message: str, offset: int = 0) -> None: ...

    def warn(self, statement: Statement, code: str, message: str, offset: int = 0) -> None: ...

    def report_unresolved(self, statement: Statement, name: str, kind: str) -> None:
        """A name not defined here: one warning per name (it may be defined in another
        file)."""
