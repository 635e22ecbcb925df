"""asar's macros: `macro Name(a, b, ...)` … `endmacro` is recorded, `%Name(1, 2)` is checked
against it (argument count, depth) and its body is fed back, arguments substituted, to the
validator (``MacroHost``) as if written at the call."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from afs.asm.diagnostics import BAD_MACRO, Reporter
from afs.asm.expressions import ExpressionError, Functions, evaluate
from afs.asm.source import Statement, split_arguments, split_statements

# `macro Name(params)`; leading blanks allowed so raw source lines match too
MACRO_DEFINITION = re.compile(r"\s*macro\s+([A-Za-z0-9_]+)\s*\((.*)\)\s*$", re.I)
_CALL = re.compile(r"%\s*([A-Za-z0-9_]+)\((.*)\)$")
_PARAMETER = re.compile(r"<([A-Za-z0-9_]+|\.\.\.(?:\[[^\]]*\])?)>")
# `?name`: a label of one expansion of a macro (outside double quotes)
_LOCAL_LABEL = re.compile(r'"[^"]*"|(?<![A-Za-z0-9_?])\?([A-Za-z_][A-Za-z0-9_]*)')
# asar drops the blanks of a macro argument outside quotes: %m(1 + 1) passes `1+1`
_SPACE_OUTSIDE_QUOTES = re.compile(r"(\"[^\"]*\"|'[^']*')|\s+")
_SIZEOF_VARIADIC = re.compile(r"sizeof\(\s*\.\.\.\s*\)")
LOCAL_MARK = "__expansion"  # ?name in expansion 3 is ?name__expansion3 (see Macros.local)
_MAX_DEPTH = 32
# a statement of a line (or a define, which may hold one) that opens or closes a block
_BLOCK_WORD = re.compile(r"(?:^|\s:\s)\s*(?:if|elseif|else|endif|while|endwhile|for|endfor)\b|!",
                         re.I)


@dataclass
class Macro:
    name: str
    params: list[str]
    variadic: bool
    body: list[Statement]
    line: int
    # per body line: whether it may open or close a block (if/while/for…), so that a line that
    # does not is skipped unread inside a branch not taken
    blocks: list[bool] = field(default_factory=list)


class MacroHost(Reporter, Protocol):
    """What macros need of the validator: reporting, the program counter (None after a call
    of a macro defined elsewhere: its size is unknown) and a way to check a statement."""

    pc: int | None
    math_pri: bool
    certain: bool  # the statement is assembled for sure (no unknown condition around it)
    labels: dict[str, int | None]
    functions: Functions

    @property
    def active(self) -> bool:
        """Whether statements here are assembled (no branch around them is not taken)."""

    def statement(self, statement: Statement) -> None: ...

    def substitute(self, statement: Statement, text: str) -> str | None:
        """``text`` with the defines known here put in."""

    def place(self, line: int) -> str:
        """How a message names a statement's line (`line 12`, or `macros.asm:12` in an
        included file)."""


class Macros:
    """The macros a text defines, the one being recorded, and the expansion in progress."""

    def __init__(self, host: MacroHost):
        self.host = host
        self.defined: dict[str, Macro] = {}
        self.recording: Macro | None = None
        self.depth = 0
        self.site: tuple[str, int] | None = None  # the macro and body line being checked
        self.expansions = 0
        self.local = ""  # the suffix that makes the `?labels` of the expansion in progress its own

    def record(self, statement: Statement) -> None:
        """A line between `macro` and `endmacro`."""
        lower = statement.text.lower()
        if lower == "endmacro":
            self.defined[self.recording.name] = self.recording
            self.recording = None
        elif lower.startswith("macro ") or lower.startswith("macro\t"):
            self.host.error(statement, BAD_MACRO, "a macro cannot be defined inside another macro")
        else:
            self.recording.body.append(statement)
            self.recording.blocks.append(_BLOCK_WORD.search(statement.text) is not None)

    @property
    def prefix(self) -> str:
        """What messages about a line of an expanded macro start with."""
        if self.site is None:
            return ""
        name, line = self.site
        return f"in macro {name} ({self.host.place(line)}): "

    def define(self, statement: Statement) -> None:
        """`macro Name(params)`: check it and start recording the body."""
        match = MACRO_DEFINITION.match(statement.text)
        if not match:
            self.host.error(statement, BAD_MACRO, "a macro is declared 'macro Name(param, …)'")
            self.recording = Macro("?", [], False, [], statement.line)
            return
        name, params_text = match.groups()
        params = [p.strip() for p in params_text.split(",")] if params_text.strip() else []
        if name[0].isdigit():
            self.host.error(statement, BAD_MACRO, f"macro name {name!r} starts with a digit")
        if len(set(params)) != len(params):
            self.host.error(statement, BAD_MACRO, f"macro {name} names a parameter twice")
        variadic = bool(params) and params[-1] == "..."
        params = params[:-1] if variadic else params
        for param in params:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", param):
                self.host.error(statement, BAD_MACRO,
                                f"macro parameter {param!r} is not a valid name")
        if name in self.defined:
            self.host.error(statement, BAD_MACRO, f"macro {name} is defined twice")
        self.recording = Macro(name, params, variadic, [], statement.line)

    def call(self, statement: Statement) -> None:
        """`%Name(arguments)`: expand a macro defined here; one defined elsewhere is a warning."""
        match = _CALL.match(statement.text)
        if not match:
            self.host.error(statement, BAD_MACRO, "a macro call is written %Name(arguments)")
            return
        name, args_text = match.groups()
        macro = self.defined.get(name)
        if macro is None:
            self.host.report_unresolved(statement, "%" + name, "macro")
            self.host.pc = None  # its size is unknown here
            return
        args = [a[1:-1] if len(a) >= 2 and a[0] == a[-1] == '"' else _SPACE_OUTSIDE_QUOTES.sub(
            lambda m: m.group(1) or "", a) for a in split_arguments(args_text)] \
            if args_text.strip() else []
        wanted = len(macro.params)
        if not (len(args) >= wanted if macro.variadic else len(args) == wanted):
            self.host.error(statement, BAD_MACRO, f"macro {name} takes {wanted} "
                            f"argument{'s' * (wanted != 1)}, got {len(args)}")
            return
        if self.depth >= _MAX_DEPTH:
            self.host.error(statement, BAD_MACRO, f"macro {name} calls itself too deeply")
            return
        self.expand(statement, macro, dict(zip(macro.params, args)), args[len(macro.params):])

    def expand(self, call: Statement, macro: Macro, values: dict[str, str],
               extra: list[str]) -> None:
        """Check the body's lines, arguments in place, as statements at the call's position.
        ``extra``: the arguments a variadic macro gets past its named ones."""
        outer_site, outer_local = self.site, self.local
        self.depth += 1
        self.expansions += 1
        self.local = f"{LOCAL_MARK}{self.expansions}"
        for line, block in zip(macro.body, macro.blocks):
            if not block and not self.host.active:
                continue  # in a branch not taken, and it ends none
            self.site = (macro.name, line.line)
            text = self.arguments_in(call, macro, line.text, values, extra)
            if text is None:
                continue
            if "?" in text:
                text = _LOCAL_LABEL.sub(self.localise, text)
            for piece in split_statements(call.line, text):
                self.host.statement(Statement(call.line, call.column, piece.text))
        self.depth -= 1
        self.site, self.local = outer_site, outer_local

    def localise(self, match: re.Match) -> str:
        return match.group() if match.group(1) is None else match.group() + self.local

    def arguments_in(self, call: Statement, macro: Macro, text: str, values: dict[str, str],
                     extra: list[str]) -> str | None:
        """A body line with the call's arguments put in: `<name>`, and in a variadic macro
        `<...[i]>` (i an expression), `<...>` (the first variadic argument) and
        `sizeof(...)` (their count). None when the line is not checked: asar assembles nothing
        of a line naming `<...>` in a call without variadic arguments, and a `<...[i]>` whose
        `i` is not known here leaves the line (and so the pc after it) unknown."""
        if macro.variadic and "sizeof(" in text:
            text = _SIZEOF_VARIADIC.sub(str(len(extra)), text)
        dropped = False

        def argument(match: re.Match) -> str:
            nonlocal dropped
            name = match.group(1)
            if not name.startswith("...") or not macro.variadic:
                return values.get(name, match.group())
            if name == "...":
                dropped = dropped or not extra
                return extra[0] if extra else ""
            index = self.variadic_index(call, name[4:-1], len(extra))
            if index is None:
                dropped, self.host.pc = True, None
                return match.group()
            return extra[index]

        if "<" in text:
            text = _PARAMETER.sub(argument, text)
        return None if dropped else text

    def variadic_index(self, call: Statement, text: str, count: int) -> int | None:
        """The value of the `i` of `<...[i]>` (defines and labels set with `=` known here);
        None when it is not known here, or out of bounds (then after an error)."""
        text = (self.host.substitute(call, text) or text).strip()
        labels = self.host.labels
        try:
            value = evaluate(text, self.host.math_pri, None, self.host.functions)
            if value.unresolved:
                value = evaluate(text, self.host.math_pri,
                                 {n: labels[n] for n in value.unresolved if labels.get(n) is not None},
                                 self.host.functions)
            value = value.value
        except ExpressionError:
            value = None
        if value is not None and not 0 <= value < count:
            if not self.host.certain:  # in a branch or loop that may not run here
                return None
            self.host.error(call, BAD_MACRO, f"<...[{text}]>: variadic argument {value} is out "
                            f"of bounds (the call passes {count})")
            return None
        return value

    def finish(self) -> None:
        """At the end of the text: a macro still being recorded has no endmacro."""
        if self.recording is not None:
            self.host.error(Statement(self.recording.line, 1, ""), BAD_MACRO,
                            f"macro {self.recording.name} has no endmacro")
