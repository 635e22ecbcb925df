"""asar macros (`macro Name(a, b)` … `endmacro`): what each does (its comment), its
parameters and how to call it; and the width macros (`%SetA16()`) routines use, so that a
routine's rationale can say what a call to one does to the register widths.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from afs.asm.macros import MACRO_DEFINITION
from afs.asm.opcodes import MNEMONICS
from afs.asm.source import instructions, strip_comment
from afs.generators.base import TrainingSample
from afs.oracle.analysis import width_effect
from afs.oracle.comments import as_prose, comment_block_above, drop_name_line
from afs.oracle.quality import fenced_code_metadata, provisional_score, word_count
from afs.oracle.text import asm_fence, join_names, pick

DOMAIN = "asm.macro"
_END = re.compile(r"\s*endmacro\b", re.I)
_QUESTIONS = (
    "What does the asar macro `{call}` do, and how is it called?",
    "How do I use the macro `{name}` in this codebase?",
    "Explain the macro `{name}` and its parameters.",
)


@dataclass(frozen=True)
class MacroDefinition:
    name: str
    params: tuple[str, ...]
    header: tuple[str, ...]
    lines: tuple[str, ...]  # `macro …` through `endmacro`
    line: int

    @property
    def call(self) -> str:
        return f"%{self.name}(" + ", ".join(f"<{p}>" for p in self.params) + ")"


def macro_definitions(lines: list[str]) -> Iterator[MacroDefinition]:
    """The macros defined in a file (an unterminated one is left out: asar rejects it)."""
    start: int | None = None
    for index, raw in enumerate(lines):
        if "macro" not in raw.lower():
            continue  # cheap test first: most lines are neither `macro` nor `endmacro`
        code = strip_comment(raw)
        if start is None:
            if MACRO_DEFINITION.match(code):
                start = index
        elif _END.match(code):
            yield _definition(lines, start, index)
            start = None


def _definition(lines: list[str], start: int, end: int) -> MacroDefinition:
    match = MACRO_DEFINITION.match(strip_comment(lines[start]))
    name = match.group(1)
    params = tuple(p.strip() for p in match.group(2).split(",") if p.strip())
    header = drop_name_line(comment_block_above(lines, start), name)
    return MacroDefinition(name, params, tuple(header), tuple(lines[start:end + 1]), start + 1)


def width_changes(macro: MacroDefinition) -> list[tuple[str, str]]:
    """The literal REP/SEP of the body, as (instruction, effect) pairs in order."""
    changes = []
    for instruction in instructions("\n".join(macro.lines[1:-1]), MNEMONICS):
        mnemonic = instruction.word.split(".")[0].upper()
        if mnemonic in ("REP", "SEP") and (effect := width_effect(mnemonic, instruction.operand)):
            changes.append((f"{instruction.word} {instruction.operand}", effect))
    return changes


def width_of(macro: MacroDefinition) -> str | None:
    """What the macro leaves the register widths at (its last REP/SEP), if it changes them."""
    changes = width_changes(macro)
    return changes[-1][1] if changes else None


def width_rationale(macro: MacroDefinition) -> str | None:
    changes = width_changes(macro)
    if not changes:
        return None
    steps = ", then ".join(f"{text} ({effect})" for text, effect in changes)
    return f"The body runs {steps}, so a call leaves {changes[-1][1]}."


def macro_answer(macro: MacroDefinition, width: str | None) -> str:
    blocks = []
    if macro.header:
        blocks.append(f"`{macro.call}`: " + as_prose(list(macro.header)))
    if macro.params:
        names = join_names([f"`{p}`" for p in macro.params])
        count = f"{len(macro.params)} parameter" + ("s" if len(macro.params) != 1 else "")
        blocks.append(f"It takes {count}, {names}; inside the body each is written in angle "
                      f"brackets (`<{macro.params[0]}>`). Call it as `{macro.call}` with a value "
                      "for each.")
    else:
        blocks.append(f"It takes no parameters: call it as `%{macro.name}()`.")
    if width:
        blocks.append(f"It leaves {width}.")
    blocks.append("Its definition:\n" + asm_fence("\n".join(macro.lines)))
    return "\n\n".join(blocks)


def macro_samples(macro: MacroDefinition, file: str) -> Iterator[TrainingSample]:
    """One sample per macro with a body: what it does, its parameters, how to call it."""
    if len(macro.lines) <= 2 and not macro.header:
        return
    source = f"{file}:{macro.line}"
    output = macro_answer(macro, width_of(macro))
    validation = fenced_code_metadata(output)
    yield TrainingSample(
        instruction=pick(_QUESTIONS, source, macro.name).format(name=macro.name, call=macro.call),
        output=output,
        thinking=width_rationale(macro),
        domain=DOMAIN, source=source,
        quality_score=provisional_score(output, word_count(" ".join(macro.header)),
                                        valid=validation.get("asar_valid", True)),
        _metadata={"generator": "oracle", "kind": "macro", "macro": macro.name,
                   "params": list(macro.params), "file": file, "line": macro.line,
                   **validation})
