"""asar's commands (`org`, `db`, `struct`, `incsrc`, …): what arguments each takes and what it
does to the program counter. One table, ``DIRECTIVES``: name -> handler(context, statement,
argument text). The handlers reach the validator only through ``DirectiveHost``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from afs.asm.diagnostics import (ASAR_WARNING, BAD_BLOCK, BAD_DIRECTIVE, BAD_MACRO, BAD_NUMBER,
                                 BANK_CROSSED, UNKNOWN_COMMAND, USER_ERROR, Reporter)
from afs.asm.expressions import ExpressionError, Function, Functions, Value, evaluate
from afs.asm.includes import SourceFiles
from afs.asm.source import Statement, split_arguments

_DATA_WIDTHS = {"db": 1, "dw": 2, "dl": 3, "dd": 4}
_NAME = re.compile(r"[A-Za-z0-9_]+")


class DirectiveHost(Reporter, Protocol):
    """What asar's commands need of the validator: its program counter, settings, labels and
    defines, and its reading of expressions, conditions and statements."""

    pc: int | None  # None where the position is not known here
    at_start: bool  # the statement is the first command of its file
    certain: bool  # the statement is assembled for sure (no unknown condition around it)
    files: SourceFiles  # the files read (`includeonce` marks the current one)
    functions: Functions  # the text's own functions so far
    math_pri: bool  # `math pri on`: conventional operator precedence
    labels: dict[str, int | None]
    defines: dict[str, str]

    def expression(self, statement: Statement, text: str, offset: int = 0) -> Value | None:
        """``text`` evaluated, its names noted for the end-of-text check; None (after an
        error) when it is malformed."""

    def resolve(self, value: Value) -> int | None:
        """``value`` with the labels known so far; None while any is unknown."""

    def lookup(self, name: str) -> int | None: ...

    def condition(self, statement: Statement, text: str,
                  code_labels: bool = False) -> bool | None: ...

    def advance(self, length: int | None) -> None:
        """Move the pc on by ``length`` bytes (None: by an unknown amount)."""

    def write(self, statement: Statement, length: int | None) -> None:
        """Put ``length`` bytes at the pc, checking where they land."""

    def labelled(self, statement: Statement) -> None:
        """Check ``statement`` as if it stood on its own line."""

    def define_macro(self, statement: Statement) -> None: ...

    def edge(self, statement: Statement, code: str, message: str) -> None:
        """A push/pull without its partner in this text: it may pair with the file including
        this one (an error only when the text is known to be a whole program)."""

    def include_source(self, statement: Statement, argument: str) -> None:
        """`incsrc`: read and check the file (when the text's own file is known)."""

    def include_binary(self, statement: Statement, argument: str) -> None:
        """`incbin`: the pc moves on by the file's size (when it is known)."""


class DirectiveContext:
    """The state asar's commands keep: struct, pc/base/namespace stacks, architecture."""

    def __init__(self, host: DirectiveHost):
        self.host = host
        self.struct = ""
        self.struct_line: Statement | None = None
        self.struct_saved_pc: int | None = None
        self.pc_stack: list[tuple[int | None, Statement]] = []
        self.base: tuple[int | None, int | None] | None = None  # (real pc, base address)
        self.base_stack: list[tuple[int | None, int | None] | None] = []
        self.namespace = ""
        self.namespace_stack: list[str] = []
        self.namespace_stack_lines: list[Statement] = []
        self.arch = "65816"
        self.nested = False  # `namespace nested on`
        self.mapper = "lorom"  # asar's default mapping
        self.table_depth = 0
        self.forward_org: list[tuple[Statement, str]] = []  # org Label before Label exists
        self.bankcross = True  # `check bankcross off` allows code across banks

    # helpers the handlers share
    def error(self, statement: Statement, message: str, code: str = BAD_DIRECTIVE) -> None:
        self.host.error(statement, code, message)

    def namespaced(self, name: str) -> str:
        """``name`` as asar stores it inside the current namespace."""
        return f"{self.namespace}_{name}" if self.namespace else name

    def read(self, statement: Statement, argument: str, what: str) -> Value | None:
        """A one-expression argument; None (after an error) when it is missing or
        malformed."""
        if not argument:
            self.error(statement, f"{what} needs a value")
            return None
        return self.host.expression(statement, argument, len(statement.text) - len(argument))

    def value(self, statement: Statement, argument: str, what: str) -> int | None | bool:
        """The value of a one-expression argument; False (after an error) when it is
        missing or malformed, None when it names something unknown here."""
        expression = self.read(statement, argument, what)
        return False if expression is None else self.host.resolve(expression)

    def finish(self) -> None:
        if self.struct_line is not None:
            self.error(self.struct_line, f"struct {self.struct} has no endstruct", BAD_BLOCK)
        for _, statement in self.pc_stack:
            self.host.edge(statement, BAD_BLOCK, "pushpc has no matching pullpc")
        for statement, name in self.forward_org:
            if name in self.host.labels:
                self.error(statement, f"org {name}: org may only name labels defined above it")
        for statement in self.namespace_stack_lines:
            self.host.edge(statement, BAD_BLOCK, "pushns has no matching pullns")


Handler = Callable[[DirectiveContext, Statement, str], None]


def _ignore(context: DirectiveContext, statement: Statement, argument: str) -> None:
    """Commands with nothing to check here (mapping modes, settings, text output)."""


def _mapper(context: DirectiveContext, statement: Statement, argument: str) -> None:
    word = statement.text.split(None, 1)[0].lower()
    if word == "sa1rom" and argument and len(split_arguments(argument)) != 4:
        context.error(statement, "sa1rom takes no banks or four: sa1rom 0,1,4,6")
    context.mapper = word


def _needs_argument(context: DirectiveContext, statement: Statement, argument: str) -> None:
    """Settings whose values are not checked here, but which need one."""
    if not argument:
        context.error(statement, f"{statement.text.split()[0]} needs an argument")


def _check(context: DirectiveContext, statement: Statement, argument: str) -> None:
    words = argument.lower().split()
    if not words or words[0] not in ("title", "bankcross"):
        context.error(statement, "check takes 'title \"…\"' or 'bankcross on|off|half|full'")
    elif words[0] == "bankcross":
        context.bankcross = len(words) < 2 or words[1] != "off"


def _alignment(context: DirectiveContext, statement: Statement, argument: str) -> bool:
    """Check `align N [offset M]` (N a power of two); False after an error."""
    words = argument.split()
    value = context.host.expression(statement, words[1]) if len(words) > 1 else None
    size = context.host.resolve(value) if value else None
    if len(words) < 2 or (size is not None and (size < 1 or size & (size - 1))):
        context.error(statement, "align takes a power of two: skip align 16")
        return False
    context.host.pc = None
    return True


def _table_push(context: DirectiveContext, statement: Statement, argument: str) -> None:
    context.table_depth += 1


def _table_pull(context: DirectiveContext, statement: Statement, argument: str) -> None:
    if context.table_depth == 0:
        context.error(statement, "pulltable without pushtable", BAD_BLOCK)
        return
    context.table_depth -= 1


_PRINTABLE = re.compile(r'"[^"]*"|(?:hex|dec|bin|double)\(.*\)|pc|bytes|freespaceuse', re.I)


def _print(context: DirectiveContext, statement: Statement, argument: str) -> None:
    """print/warn take strings and a few functions (hex(…), dec(…), pc), comma-separated."""
    word = statement.text.split(None, 1)[0].lower()
    if not argument:
        if word == "print":
            context.error(statement, "print needs something to print")
        return
    for item in split_arguments(argument):
        if not _PRINTABLE.fullmatch(item):
            what = "an empty item (a trailing comma?)" if not item else repr(item)
            context.error(statement, f"{word} prints strings, hex(…), dec(…) or pc, not {what}")
            return
        if item.endswith(")"):  # hex(Label): its argument is an expression
            context.host.expression(statement, item)


def _org(context: DirectiveContext, statement: Statement, argument: str) -> None:
    expression = context.read(statement, argument, "org")
    if expression is None:
        return
    context.forward_org.extend((statement, name) for name in expression.unresolved
                               if name not in context.host.labels)
    value = context.host.resolve(expression)
    if value is not None and not 0 <= value <= 0xFFFFFF:
        context.error(statement, f"org {argument}: an SNES address is $000000-$FFFFFF")
        return
    context.host.pc = value
    context.base = None


def _base(context: DirectiveContext, statement: Statement, argument: str) -> None:
    host = context.host
    if argument.lower() == "off":
        if context.base is not None:
            real, start = context.base
            moved = None if None in (real, start, host.pc) else host.pc - start
            host.pc = None if moved is None else real + moved
        context.base = None
        return
    value = context.value(statement, argument, "base")
    if value is not None and value is not False and not 0 <= value <= 0xFFFFFF:
        context.error(statement, f"base {argument}: an SNES address is $000000-$FFFFFF")
        return
    if value is not False:
        real = context.base[0] if context.base else host.pc
        context.base = (real, value)
        host.pc = value


def _skip(context: DirectiveContext, statement: Statement, argument: str) -> None:
    if argument.lower().startswith("align"):
        _alignment(context, statement, argument)
        return
    value = context.value(statement, argument, "skip")
    pc = context.host.pc
    if value not in (False, None) and pc is not None and (pc & 0xFFFF) + value > 0x10000:
        context.error(statement, f"skip {argument} crosses a bank border", BANK_CROSSED)
    if value is not False:
        context.host.advance(value)


def _fill(context: DirectiveContext, statement: Statement, argument: str) -> None:
    if argument.lower().startswith("align"):
        _alignment(context, statement, argument)
        return
    value = context.value(statement, argument, "fill")
    if value not in (False, None):
        context.host.write(statement, value)


def _one_value(what: str) -> Handler:
    def handler(context: DirectiveContext, statement: Statement, argument: str) -> None:
        context.value(statement, argument, what)
    return handler


def _warnpc(context: DirectiveContext, statement: Statement, argument: str) -> None:
    value = context.value(statement, argument, "warnpc")
    pc = context.host.pc
    if value not in (False, None) and pc is not None and pc > value and context.host.certain:
        context.error(statement, f"warnpc failed: the code reaches ${pc:06X}, past ${value:06X}",
                      USER_ERROR)


def _data(context: DirectiveContext, statement: Statement, argument: str) -> None:
    word = statement.text.split(None, 1)[0].lower()
    if not argument:
        context.error(statement, f"{word} needs at least one value")
        context.host.advance(None)
        return
    width, length = _DATA_WIDTHS[word], 0
    offset = len(statement.text) - len(argument)
    if re.search(r"\s,", argument) and argument.count('"') == 0:
        context.error(statement, f"no space before a comma in {word} (asar splits words on "
                      "spaces)")
        return
    for item in split_arguments(argument):
        if not item:
            context.error(statement, f"{word} has an empty value (two commas in a row?)")
            return
        if item.startswith('"'):
            if len(item) < 2 or not item.endswith('"') or item.count('"') != 2:
                context.error(statement, f"mismatched quotes in {item!r}")
                return
            length += width * (len(item) - 2)
        elif item.strip("+-") == "":  # an anonymous label
            length += width
        elif not (_immediate_data(context, statement, word, item, offset)
                  if item.startswith("#") else context.host.expression(statement, item, offset)):
            return
        else:
            length += width
        offset += len(item) + 1
    context.host.write(statement, length)


def _immediate_data(context: DirectiveContext, statement: Statement, word: str, item: str,
                    offset: int) -> bool:
    """`db #$12`: asar 1.91 reads one `#` before a value as a deprecated no-op (a warning);
    ``False`` after an error (`##$12`, `#` alone, `#"text"`)."""
    value = item[1:]
    if not value or value[0] in '#"' or value[0].isspace():
        context.error(statement, f"{word} {item}: '#' must be followed by a number, once",
                      BAD_NUMBER)
        return False
    context.host.warn(statement, ASAR_WARNING, f"'#' before a value in {word} is deprecated "
                      "(asar ignores it; remove it)")
    return context.host.expression(statement, value, offset + 1) is not None


def _needs_file(context: DirectiveContext, statement: Statement, argument: str) -> bool:
    """Whether the command names a file (after an error if it does not)."""
    if not argument or argument in ('""',):
        word = statement.text.split(None, 1)[0].lower()
        context.error(statement, f"{word} needs a file name")
        return False
    return True


def _incsrc(context: DirectiveContext, statement: Statement, argument: str) -> None:
    if _needs_file(context, statement, argument):
        context.host.include_source(statement, argument)
    else:
        context.host.pc = None


def _incbin(context: DirectiveContext, statement: Statement, argument: str) -> None:
    if _needs_file(context, statement, argument):
        context.host.include_binary(statement, argument)
    else:
        context.host.pc = None


def _include(context: DirectiveContext, statement: Statement, argument: str) -> None:
    """`include` / `includefrom main.asm`: the file says it is included by another; asar takes
    it as the first command of a file only (`include` alone, `includefrom` with a name)."""
    word = statement.text.split(None, 1)[0].lower()
    if word == "include" and argument:
        context.error(statement, "include takes no file name (it marks a file as included; "
                      "incsrc includes one)", UNKNOWN_COMMAND)
    elif word == "includefrom" and not _needs_file(context, statement, argument):
        pass
    elif not context.host.at_start:
        context.error(statement, f"{word} may only be the first command of a file")


def _includeonce(context: DirectiveContext, statement: Statement, argument: str) -> None:
    """This file is read once however many files include it."""
    files = context.host.files
    files.once.add(files.current)


def _pushpc(context: DirectiveContext, statement: Statement, argument: str) -> None:
    context.pc_stack.append((context.host.pc, statement))


def _pullpc(context: DirectiveContext, statement: Statement, argument: str) -> None:
    if not context.pc_stack:
        context.host.edge(statement, BAD_BLOCK, "pullpc without pushpc")
        context.host.pc = None
        return
    context.host.pc = context.pc_stack.pop()[0]


def _pushbase(context: DirectiveContext, statement: Statement, argument: str) -> None:
    context.base_stack.append(context.base)


def _pullbase(context: DirectiveContext, statement: Statement, argument: str) -> None:
    if not context.base_stack:
        context.host.edge(statement, BAD_BLOCK, "pullbase without pushbase")
        context.base, context.host.pc = None, None
        return
    context.base = context.base_stack.pop()


def _namespace(context: DirectiveContext, statement: Statement, argument: str) -> None:
    words = argument.split()
    if not words:
        context.error(statement, "namespace needs a name, 'off' or 'nested on|off'")
    elif words[0].lower() == "off":  # leaves one level when nested, all of them otherwise
        current = context.namespace
        context.namespace = current.rpartition("_")[0] if context.nested else ""
    elif words[0].lower() == "nested":
        context.nested = len(words) > 1 and words[1].lower() == "on"
    elif len(words) != 1 or not _NAME.fullmatch(words[0]) or words[0][0].isdigit():
        context.error(statement, f"{argument!r} is not a valid namespace name")
    else:
        current = context.namespace
        nest = context.nested and current
        context.namespace = f"{current}_{words[0]}" if nest else words[0]


def _pushns(context: DirectiveContext, statement: Statement, argument: str) -> None:
    context.namespace_stack.append(context.namespace)
    context.namespace_stack_lines.append(statement)


def _pullns(context: DirectiveContext, statement: Statement, argument: str) -> None:
    if not context.namespace_stack:
        context.host.edge(statement, BAD_BLOCK, "pullns without pushns")
        return
    context.namespace = context.namespace_stack.pop()
    context.namespace_stack_lines.pop()


def _struct(context: DirectiveContext, statement: Statement, argument: str) -> None:
    words = argument.split()
    if context.struct_line is not None:
        context.error(statement, "structs cannot be nested", BAD_BLOCK)
        return
    if not words:
        context.error(statement, "struct needs a name and an address: struct Name $7E0000")
        return
    if not _NAME.fullmatch(words[0]):
        context.error(statement, f"{words[0]!r} is not a valid struct name")
        return
    start: int | None | bool = None
    if len(words) == 3 and words[1].lower() == "extends":
        start = context.host.lookup(words[2])
    elif len(words) == 2:
        start = context.value(statement, words[1], "struct")
    elif len(words) == 1:
        start = None
    else:
        context.error(statement, "struct takes a name and an address (or 'extends Parent')")
        return
    name = context.namespaced(words[0])
    context.struct, context.struct_line = name, statement
    context.struct_saved_pc = context.host.pc
    context.host.labels[name] = None if start is False else start
    context.host.pc = None if start is False else start


def _endstruct(context: DirectiveContext, statement: Statement, argument: str) -> None:
    if context.struct_line is None:
        context.error(statement, "endstruct without struct", BAD_BLOCK)
        return
    words = argument.split()
    if words and (words[0].lower() != "align" or len(words) != 2):
        context.error(statement, "endstruct takes nothing or 'align N'")
    context.struct, context.struct_line = "", None
    context.host.pc = context.struct_saved_pc


def _macro(context: DirectiveContext, statement: Statement, argument: str) -> None:
    context.host.define_macro(statement)


def _endmacro(context: DirectiveContext, statement: Statement, argument: str) -> None:
    context.error(statement, "endmacro without macro", BAD_MACRO)


def _error(context: DirectiveContext, statement: Statement, argument: str) -> None:
    if context.host.certain:  # in a branch of an unknown `if` it may never run
        context.error(statement, f"error command: {argument or '(no message)'}", USER_ERROR)


def _assert(context: DirectiveContext, statement: Statement, argument: str) -> None:
    condition = split_arguments(argument)[0] if argument else ""
    if not condition:
        context.error(statement, "assert needs a condition")
        return
    if context.host.condition(statement, condition, code_labels=True) is False \
            and context.host.certain:
        context.error(statement, f"assertion failed: {condition}", USER_ERROR)


def _arch(context: DirectiveContext, statement: Statement, argument: str) -> None:
    name = argument.lower()
    if not name:
        context.error(statement, "arch needs an architecture (65816, spc700, superfx)")
        return
    # asar accepts unknown names and stays on 65816
    context.arch = name if name in ("spc700", "spc700-inline", "superfx") else "65816"


def _math(context: DirectiveContext, statement: Statement, argument: str) -> None:
    words = argument.lower().split()
    if len(words) != 2 or words[0] not in ("pri", "round") or words[1] not in ("on", "off"):
        context.error(statement, "math takes 'pri on|off' or 'round on|off'")
        return
    if words[0] == "pri":
        context.host.math_pri = words[1] == "on"


def _undef(context: DirectiveContext, statement: Statement, argument: str) -> None:
    name = argument.strip('"')
    if name not in context.host.defines:
        context.host.report_unresolved(statement, "!" + name.lstrip("!"), "define")
    context.host.defines.pop(name, None)


_FUNCTION = re.compile(r"(\S+?)\((.*?)\)\s*=\s*(.*)$")


def _function(context: DirectiveContext, statement: Statement, argument: str) -> None:
    """`function name(a, b) = body`: computed where it is called with known arguments."""
    match = _FUNCTION.match(argument)
    if not match or not match.group(3).strip():
        context.error(statement, "a function is written 'function name(a, b) = expression'",
                      UNKNOWN_COMMAND)
        return
    name, params_text, body = match.group(1), match.group(2), match.group(3).strip()
    params = tuple(p.strip() for p in params_text.split(","))
    if not _NAME.fullmatch(name) or name[0].isdigit():
        context.error(statement, f"{name!r} is not a valid function name")
        return
    if not all(_NAME.fullmatch(p) and not p[0].isdigit() for p in params):
        context.error(statement, f"function {name}: parameters are names ({params_text!r})")
        return
    host = context.host
    try:  # its names are its parameters and labels known where it is called
        evaluate(body, host.math_pri)
    except ExpressionError as error:
        context.error(statement, f"function {name}: {error}", error.code)
        return
    if name in host.functions:
        host.warn(statement, ASAR_WARNING, f"function {name} is defined again (overwriting a "
                  "function is deprecated)")
    host.functions = host.functions.with_function(name, Function(params, body))


def _global(context: DirectiveContext, statement: Statement, argument: str) -> None:
    namespace, context.namespace = context.namespace, ""
    context.host.labelled(Statement(statement.line, statement.column + 7, argument))
    context.namespace = namespace


def _unknown_position(context: DirectiveContext, statement: Statement, argument: str) -> None:
    """Commands after which the program counter is not known here (freespace, pad)."""
    context.host.pc = None


def _rep(context: DirectiveContext, statement: Statement, argument: str) -> None:
    value = context.host.expression(statement, argument) if argument else None
    if value is not None and value.unresolved:
        context.error(statement, "rep takes a number, not a label")
        return
    context.host.warn(statement, ASAR_WARNING,
                           "the rep command is deprecated (it clashes with REP #$xx)")


DIRECTIVES: dict[str, Handler] = {
    **dict.fromkeys(["lorom", "hirom", "exlorom", "exhirom", "sa1rom", "fullsa1rom", "sfxrom",
                     "norom"], _mapper),
    **dict.fromkeys(["asar", "xkas", "{", "}", "cleartable", "prot", "autoclean", "spcblock",
                     "endspcblock", "startpos", "header"], _ignore),
    **dict.fromkeys(["optimize", "warnings", "bank"], _needs_argument), "function": _function,
    "check": _check,
    "print": _print, "warn": _print, "pushtable": _table_push, "pulltable": _table_pull,
    "org": _org, "base": _base, "skip": _skip, "fill": _fill, "warnpc": _warnpc,
    "fillbyte": _one_value("fillbyte"), "padbyte": _one_value("padbyte"),
    "freespacebyte": _one_value("freespacebyte"), "dpbase": _one_value("dpbase"),
    **{name: _one_value(name) for name in ("fillword", "filllong", "filldword", "padword",
                                           "padlong", "paddword", "pad")}, "freespace": _unknown_position,
    "freecode": _unknown_position, "freedata": _unknown_position,
    **dict.fromkeys(["db", "dw", "dl", "dd"], _data),
    "table": _needs_file, "incsrc": _incsrc, "incbin": _incbin,
    **dict.fromkeys(["include", "includefrom"], _include), "includeonce": _includeonce,
    "pushpc": _pushpc, "pullpc": _pullpc, "pushbase": _pushbase, "pullbase": _pullbase,
    "namespace": _namespace, "pushns": _pushns, "pullns": _pullns,
    "struct": _struct, "endstruct": _endstruct, "macro": _macro, "endmacro": _endmacro,
    "error": _error, "assert": _assert, "arch": _arch, "math": _math, "undef": _undef,
    "global": _global, "rep": _rep,
}
