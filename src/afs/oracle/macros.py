"""asar macros (`macro Name(a, b)` … `endmacro`): what each does (its comment), its
parameters and how to call it; and the width macros (`%SetA16()`) routines use, so that a
routine's rationale can say what a call to one does to the register widths.

A call is shown only when it is real and assembles: one found in the tree's code, or one the
macro's own comment gives as its usage, checked with ``afs.asm.validate`` against the
definition. asar rejects `%Name(<a>, <b>)`, so a call is never written with placeholders; with
no real call the answer names the parameters in order and shows none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from afs.asm import validate
from afs.asm.macros import MACRO_DEFINITION
from afs.asm.opcodes import MNEMONICS
from afs.asm.source import instructions, split_arguments, strip_comment
from afs.generators.base import TrainingSample
from afs.oracle.analysis import width_effect
from afs.oracle.comments import as_prose, definition_header
from afs.oracle.quality import fenced_code_metadata, provisional_score, word_count
from afs.oracle.text import asm_fence, join_names, pick

DOMAIN = "asm.macro"
_END = re.compile(r"\s*endmacro\b", re.I)
_QUESTIONS = (
    "What does the asar macro `{name}` in `{file}` do, and how is it called?",
    "How do I use the macro `{name}` defined in `{file}`?",
    "Explain the macro `{name}` of `{file}` and its parameters.",
)
_CALL_START = re.compile(r"%([A-Za-z0-9_]+)\(")
MAX_CALLS_KEPT = 3  # real calls kept per macro: the first that assembles is shown


@dataclass(frozen=True)
class CallSite:
    """A call of a macro as written in the tree: `%Name(args)`, its file and 1-based line."""

    name: str
    text: str
    file: str
    line: int

    @property
    def arguments(self) -> int:
        inside = self.text[self.text.index("(") + 1:-1].strip()
        return len(split_arguments(inside)) if inside else 0


def _call_texts(code: str) -> Iterator[tuple[str, str]]:
    """(name, `%Name(…)`) of each macro call in a comment-free line (parentheses balanced)."""
    for match in _CALL_START.finditer(code):
        depth = 0
        for end in range(match.end() - 1, len(code)):
            depth += (code[end] == "(") - (code[end] == ")")
            if depth == 0:
                yield match.group(1), code[match.start():end + 1]
                break


@dataclass(frozen=True)
class MacroDefinition:
    name: str
    params: tuple[str, ...]
    header: tuple[str, ...]
    lines: tuple[str, ...]  # `macro …` through `endmacro`
    line: int

    @property
    def signature(self) -> str:
        return f"macro {self.name}(" + ", ".join(self.params) + ")"


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
    header, _ = definition_header(lines, start, name)
    return MacroDefinition(name, params, tuple(header), tuple(lines[start:end + 1]), start + 1)


def macro_calls(lines: list[str], file: str) -> Iterator[CallSite]:
    """The macro calls of a file's code outside macro definitions (inside one, arguments are
    often the outer macro's `<params>`, which mean nothing on their own)."""
    inside = False
    for number, raw in enumerate(lines, 1):
        if "%" not in raw and "macro" not in raw.lower():
            continue
        code = strip_comment(raw)
        if MACRO_DEFINITION.match(code):
            inside = True
        elif _END.match(code):
            inside = False
        elif not inside and "%" in code:
            for name, text in _call_texts(code):
                if "<" not in text:
                    yield CallSite(name, text, file, number)


def _documented_calls(macro: MacroDefinition, file: str) -> list[CallSite]:
    """Calls the macro's own comment gives (`Usage: %Name(…)`)."""
    return [CallSite(name, text, file, macro.line - len(macro.header) + number)
            for number, line in enumerate(macro.header)
            for name, text in _call_texts(line) if name == macro.name and "<" not in text]


def _errors(text: str) -> set[tuple[str, str]]:
    return {(issue.code, issue.message) for issue in validate(text).errors}


def example_call(macro: MacroDefinition, calls: list[CallSite], file: str) -> CallSite | None:
    """The first real call (from the tree, else from the macro's comment) that has one
    argument per parameter and assembles with the definition: validating the definition with
    the call under it adds no error to the definition's own."""
    definition = "\n".join(macro.lines) + "\n"
    own = None
    for call in [*calls, *_documented_calls(macro, file)]:
        if call.arguments != len(macro.params):
            continue
        own = _errors(definition) if own is None else own
        if not _errors(f"{definition}{call.text}\n") - own:
            return call
    return None


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


def macro_answer(macro: MacroDefinition, width: str | None, call: CallSite | None) -> str:
    blocks = []
    if macro.header:
        blocks.append(f"`{macro.signature}`: " + as_prose(list(macro.header)))
    if macro.params:
        names = join_names([f"`{p}`" for p in macro.params])
        count = f"{len(macro.params)} parameter" + ("s" if len(macro.params) != 1 else "")
        order = " in that order" if len(macro.params) > 1 else ""
        blocks.append(f"It takes {count}, {names}, passed{order} between the parentheses of "
                      f"`%{macro.name}(…)`; inside the body each is written in angle brackets "
                      f"(`<{macro.params[0]}>`).")
    else:
        blocks.append(f"It takes no parameters: call it as `%{macro.name}()`.")
    if call is not None and macro.params:
        blocks.append(f"For example, `{call.file}` line {call.line} calls it as `{call.text}`.")
    if width:
        blocks.append(f"It leaves {width}.")
    blocks.append("Its definition:\n" + asm_fence("\n".join(macro.lines)))
    return "\n\n".join(blocks)


def macro_samples(macro: MacroDefinition, file: str,
                  calls: list[CallSite] = ()) -> Iterator[TrainingSample]:
    """One sample per macro with a body: what it does, its parameters, how to call it
    (``calls``: real calls found in the tree, see ``example_call``)."""
    if len(macro.lines) <= 2 and not macro.header:
        return
    source = f"{file}:{macro.line}"
    call = example_call(macro, list(calls), file) if macro.params else None
    output = macro_answer(macro, width_of(macro), call)
    validation = fenced_code_metadata(output)
    yield TrainingSample(
        instruction=pick(_QUESTIONS, source, macro.name).format(name=macro.name, file=file),
        output=output,
        thinking=width_rationale(macro),
        domain=DOMAIN, source=source,
        quality_score=provisional_score(output, word_count(" ".join(macro.header)),
                                        valid=validation.get("asar_valid", True)),
        _metadata={"generator": "oracle", "kind": "macro", "macro": macro.name,
                   "params": list(macro.params), "file": file, "line": macro.line,
                   "example_call": call.text if call else None, **validation})
