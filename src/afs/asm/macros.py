"""asar's macros: `macro Name(a, b, ...)` … `endmacro` is recorded, `%Name(1, 2)` is checked
against it (argument count, depth) and its body is fed back, arguments substituted, to the
validator (``MacroHost``) as if written at the call."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from afs.asm.diagnostics import BAD_MACRO, Reporter
from afs.asm.source import Statement, split_arguments, split_statements

# `macro Name(params)`; leading blanks allowed so raw source lines match too
MACRO_DEFINITION = re.compile(r"\s*macro\s+([A-Za-z0-9_]+)\s*\((.*)\)\s*$", re.I)
_CALL = re.compile(r"%\s*([A-Za-z0-9_]+)\((.*)\)$")
_PARAMETER = re.compile(r"<([A-Za-z0-9_]+|\.\.\.\[[^\]]*\])>")
_MAX_DEPTH = 32


@dataclass
class Macro:
    name: str
    params: list[str]
    variadic: bool
    body: list[Statement]
    line: int


class MacroHost(Reporter, Protocol):
    """What macros need of the validator: reporting, the program counter (None after a call
    of a macro defined elsewhere: its size is unknown) and a way to check a statement."""

    pc: int | None

    def statement(self, statement: Statement) -> None: ...


class Macros:
    """The macros a text defines, the one being recorded, and the expansion in progress."""

    def __init__(self, host: MacroHost):
        self.host = host
        self.defined: dict[str, Macro] = {}
        self.recording: Macro | None = None
        self.depth = 0
        self.prefix = ""  # put before messages about lines of an expanded macro

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
        args = [a[1:-1] if len(a) >= 2 and a[0] == a[-1] == '"' else a
                for a in split_arguments(args_text)] if args_text.strip() else []
        wanted = len(macro.params)
        if not (len(args) >= wanted if macro.variadic else len(args) == wanted):
            self.host.error(statement, BAD_MACRO, f"macro {name} takes {wanted} "
                            f"argument{'s' * (wanted != 1)}, got {len(args)}")
            return
        if self.depth >= _MAX_DEPTH:
            self.host.error(statement, BAD_MACRO, f"macro {name} calls itself too deeply")
            return
        values = dict(zip(macro.params, args))
        extra = args[len(macro.params):]
        values.update({f"...[{i}]": value for i, value in enumerate(extra)})
        self.expand(statement, macro, values)

    def expand(self, call: Statement, macro: Macro, values: dict[str, str]) -> None:
        """Check the body's lines, arguments in place, as statements at the call's position."""
        outer_prefix = self.prefix
        self.depth += 1
        for line in macro.body:
            self.prefix = f"in macro {macro.name} (line {line.line}): "

            def argument(match: re.Match) -> str:
                return values.get(match.group(1), match.group())

            text = _PARAMETER.sub(argument, line.text)
            for piece in split_statements(call.line, text):
                self.host.statement(Statement(call.line, call.column, piece.text))
        self.depth -= 1
        self.prefix = outer_prefix

    def finish(self) -> None:
        """At the end of the text: a macro still being recorded has no endmacro."""
        if self.recording is not None:
            self.host.error(Statement(self.recording.line, 1, ""), BAD_MACRO,
                            f"macro {self.recording.name} has no endmacro")
