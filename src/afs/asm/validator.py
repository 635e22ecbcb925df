"""Validate asar 65816 source: ``validate(text) -> ValidationResult``.

One pass over the statements, table-driven: labels, defines, symbol assignments, macros,
conditionals, structs and asar's commands are tracked; each instruction goes through
``afs.asm.operands.encode`` (asar's own matching rules). The program counter is followed from
`org` (asar starts at $008000 without one) so label widths and branch distances can be checked
once every label is known. Names defined elsewhere (another file, a macro library) are not
errors: they come back as ``unresolved`` warnings and their operands are given the benefit of
the doubt (two or three bytes).

Given the text's ``path``, its `incsrc` files are read where asar finds them and checked in
place, as one program (``afs.asm.includes``); issues in them name their file.
"""

from __future__ import annotations

import operator
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from afs.asm import opcodes as op
from afs.asm.asar_backend import validate_with_asar
from afs.asm.blocks import code_blocks, looks_like_code
from afs.asm.diagnostics import (ASAR_WARNING, BAD_BLOCK, BAD_DEFINE, BAD_DIRECTIVE,
                                 BAD_EXPRESSION, BAD_LABEL, BAD_NUMBER, BANK_CROSSED,
                                 BLOCK_MOVE_OPERANDS, BRANCH_RANGE,
                                 INCLUDE_CYCLE, MISSING_FILE, OUTSIDE_CONTEXT, UNKNOWN_COMMAND,
                                 UNKNOWN_MNEMONIC, UNRESOLVED, ValidationIssue, ValidationResult,
                                 line_count)
from afs.asm.directives import DIRECTIVES, DirectiveContext
from afs.asm.expressions import ExpressionError, Functions, Value, evaluate
from afs.asm.includes import SourceFiles, strip_quotes
from afs.asm.macros import LOCAL_MARK, Macros
from afs.asm.operands import (REPEATABLE, Encoding, Operand, OperandError, PLAIN, encode,
                              split_mnemonic, split_operand)
from afs.asm.source import (ANONYMOUS_LABEL, INSTRUCTION, MAIN_LABEL, SUB_LABEL,
                            TEXT_CACHE_SIZE, Statement, compact_commas, split_arguments,
                            split_statements)
from afs.asm.source import statements as split_source

# names other modules import from here (the validator's face): the results, code detection
__all__ = ["ValidationIssue", "ValidationResult", "code_blocks", "looks_like_code", "validate",
           "validate_sample"]

_DEFINE_SET = re.compile(r"!\{?([A-Za-z0-9_]+)\}?(\s*)(=|\+=|:=|#=|\?=)(\s*)(.*)$")
_DEFINE_USE = re.compile(r"!([A-Za-z0-9_]+)|!\{([A-Za-z0-9_]+)\}")
_REGISTERS = frozenset({"A", "X", "Y", "S", "Z"})
_ARRAY_INDEX = re.compile(r"\[[^\]]*\]")
_DEFINED = re.compile(r'defined\("!?([^"]*)"\)')
_ANONYMOUS_REF = re.compile(r"^(\??)(\++|-+)$")
# names in an if condition (not function calls, not defines)
_CONDITION_NAME = re.compile(r"(?<![!\w.$%'])([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")
# (mnemonic word, operand) -> encoding, for operands that name no label: the same in every
# text, so shared between validate() calls
_ENCODINGS: dict[tuple[str, str, bool], object] = {}
_ENCODINGS_LIMIT = 65536


# where a label name is read: (main label, sub labels under it, namespace)
Scope = tuple[str, tuple[str, ...], str]


@dataclass
class _Deferred:
    """An instruction naming labels: checked once every label of the text is known."""

    statement: Statement
    word: str
    operand: str
    value: Value
    pc: int | None
    scope: Scope
    anonymous: tuple[str, int] | None = None
    arguments: int = 1


@dataclass
class _Frame:
    kind: str            # if, while, for, macro-less blocks
    line: int
    active: bool | None  # None: the condition is not known here, so both sides are checked
    taken: bool | None
    # an if block run with its parents: the pc at `if`, and where each branch checked here
    # ended (branches whose condition is not known are all checked, each from the pc at `if`)
    start_pc: int | None = None
    ends: list[int | None] | None = None
    has_else: bool = False


class _Validator:
    """One pass over one text. It is the host asar's commands (``DirectiveHost``) and macros
    (``MacroHost``) report to and move the program counter of."""

    def __init__(self, math_pri: bool = False, files: SourceFiles | None = None,
                 defines: Mapping[str, str] | None = None):
        self.files = files or SourceFiles()
        self.edges: list[tuple[Statement, str, str]] = []  # see edge()
        self.errors: list[ValidationIssue] = []
        self.warnings: list[ValidationIssue] = []
        self.defines: dict[str, str] = dict(defines or {})
        self.labels: dict[str, int | None] = {}
        self.macros = Macros(self)
        self.frames: list[_Frame] = []
        self.deferred: list[_Deferred] = []
        self.references: list[tuple[Statement, str, tuple[str, list[str]]]] = []
        self.static: set[str] = set()  # labels given a value with `=`
        self.functions = Functions()  # `function f(x) = …` (a new table at each definition)
        self.maybe_labels: set[str] = set()  # labels defined where a condition is not known
        self.assigned: list[tuple[Statement, str, Scope]] = []  # `A = B`, B not yet defined
        self.anonymous: dict[str, list[int | None]] = {}
        self.unresolved_reported: set[str] = set()
        self.main_label = ""
        self.sub_labels: list[str] = []
        # asar starts a patch at $008000; a file read from its path may be included after an
        # org elsewhere, so where it starts is not known before its own org
        self.pc: int | None = None if self.files.following else 0x008000
        self.at_start = True
        self.context = DirectiveContext(self)
        self.math_pri = math_pri

    # -- reporting ---------------------------------------------------------------------------
    def error(self, statement: Statement, code: str, message: str, offset: int = 0) -> None:
        self.errors.append(ValidationIssue(statement.line, statement.column + offset, code,
                                           self.macros.prefix + message))

    def warn(self, statement: Statement, code: str, message: str, offset: int = 0) -> None:
        self.warnings.append(ValidationIssue(statement.line, statement.column + offset, code,
                                             self.macros.prefix + message))

    def edge(self, statement: Statement, code: str, message: str) -> None:
        """Something that pairs with a file not read here: a `pullpc` whose `pushpc` is in the
        file including this one, a sub label whose parent label is there. Decided at the end
        (``whole``): an error in a whole program, else an ``outside_context`` warning."""
        self.edges.append((statement, code, self.macros.prefix + message))

    @property
    def whole(self) -> bool:
        """Whether the text is a whole program: a text given alone is read as asar reads a
        patch; a file given by its path is a part of its codebase (some file may include it)
        unless it includes files itself (then it is the main file)."""
        return not self.files.following or len(self.files.paths) > 1

    def place(self, line: int) -> str:
        """A carried line number as a message names it: `line 12` or `macros.asm:12`."""
        name, number = self.files.where(line)
        return f"{name}:{number}" if name else f"line {number}"

    # -- driving -----------------------------------------------------------------------------
    def run(self, statements: Iterable[Statement]) -> None:
        self.run_file(statements)
        self.finish()

    def run_file(self, statements: Iterable[Statement]) -> None:
        """The statements of one file, in order (an `incsrc` among them reads its file)."""
        first = True
        for statement in statements:
            text = statement.text
            if text[:1] in "aAxX@":  # `asar 1.9` / `xkas`: only as the first command
                lower = text.lower().lstrip("@")
                if lower.split(None, 1)[:1] in (["asar"], ["xkas"]):
                    if not first:
                        self.error(statement, UNKNOWN_COMMAND, f"{lower.split()[0]} must be the "
                                   "first command of the file")
                    elif lower.startswith("asar "):
                        self.math_pri = _version_at_least(lower[5:].strip(), (1, 9))
            self.at_start = first
            first = False
            self.statement(statement)

    def include_source(self, statement: Statement, argument: str) -> None:
        """`incsrc file`: its statements are checked here, as asar assembles them, when the
        text's own file is known; otherwise the size of what it adds is unknown."""
        if not self.files.following:
            self.pc = None
            return
        found = self.included_file(statement, "incsrc", argument)
        if found is None:
            return
        number, text = found
        self.files.reading.append(number)
        try:
            self.run_file(Statement(self.files.line_in(number, s.line), s.column, s.text)
                          for s in split_source(text))
        finally:
            self.files.reading.pop()

    def included_file(self, statement: Statement, word: str,
                      argument: str) -> tuple[int, str] | None:
        """(number, text) of the file an `incsrc` names; None after an error (not found,
        unreadable, a cycle) or when it said `includeonce` and was read already."""
        name = strip_quotes(argument)
        found = self.locate(statement, word, name)
        try:
            text = found[0].read_text(encoding="utf-8", errors="replace") if found else None
        except OSError as error:
            self.error(statement, MISSING_FILE, f"{word} {name}: {error.strerror}")
            text = None
        if text is None:
            return None
        number, new = self.files.number(*found)
        chain = self.files.cycle(number)
        if chain is not None:
            self.error(statement, INCLUDE_CYCLE, f"{word} {name}: the file includes itself "
                       f"({' -> '.join(chain)})")
            return None
        if number in self.files.once:
            return None
        if new:
            self.files.lines += line_count(text)
        return number, text

    def locate(self, statement: Statement, word: str, name: str) -> tuple | None:
        """(path, name to show) of an included file; None, after an error, when asar would not
        find it either (the pc is unknown from there on)."""
        found = self.files.find(name)
        if found is None:
            including = os.path.basename(self.files.names[self.files.current])
            self.error(statement, MISSING_FILE, f"{word} {name}: no such file next to "
                       f"{including or 'the text'}, in the include directories or in the "
                       "working directory")
            self.pc = None
        return found

    def include_binary(self, statement: Statement, argument: str) -> None:
        """`incbin file[:range] [-> Label]`: the pc moves on by the file's size when it is
        known here (the whole file, put at the pc; `-> Label` puts it elsewhere)."""
        name, arrow, _target = argument.partition("->")
        name = name.strip()
        ranged = '":' in name or not name.startswith('"') and ":" in name
        if not self.files.following:
            self.pc = self.pc if arrow else None
            return
        found = self.locate(statement, "incbin",
                            strip_quotes(name.rsplit(":", 1)[0] if ranged else name))
        if found is not None and not arrow:
            self.write(statement, None if ranged else found[0].stat().st_size)

    @property
    def active(self) -> bool:
        return not self.frames or all(frame.active is not False for frame in self.frames)

    @property
    def certain(self) -> bool:
        """Whether the statement is assembled for sure: no condition around it is unknown
        here (asar would run only one branch of an unknown `if`; both are checked)."""
        return all(frame.active is True for frame in self.frames)

    def statement(self, statement: Statement) -> None:
        text = statement.text
        if self.macros.recording is not None:
            self.macros.record(statement)
            return
        lower = text.lower()
        if self.conditional(statement, lower):
            return
        if not self.active:
            return
        if "!" in text:
            if _DEFINE_SET.match(text):
                self.define(statement)
                return
            text = self.substitute(statement, text)
            if text is None:
                return
            if " : " in text:  # a define may hold several statements
                for piece in split_statements(statement.line, text):
                    self.labelled(Statement(statement.line, statement.column, piece.text))
                return
            statement = Statement(statement.line, statement.column, text)
        self.labelled(statement)

    def labelled(self, statement: Statement) -> None:
        """Take label definitions off the front, then check what follows."""
        text, offset = statement.text, 0
        while True:
            rest = self.label_definition(statement, text, offset)
            if rest is None:
                break
            offset += len(text) - len(rest)
            text = rest.lstrip()
            offset += len(rest) - len(text)
            if not text:
                return
        self.command(Statement(statement.line, statement.column + offset, text) if offset
                     else statement)

    # -- labels ------------------------------------------------------------------------------
    def label_definition(self, statement: Statement, text: str, offset: int) -> str | None:
        """Define a leading label of ``text``; the text after it, or None if it has none."""
        label = _leading_label(text)
        if label is None:
            return None
        kind, match = label
        if kind is MAIN_LABEL:
            name = match.group(2)
            if name[0].isdigit():
                self.error(statement, BAD_LABEL, f"label {name!r} starts with a digit", offset)
            elif "#" not in match.group(1) and "?" not in match.group(1):
                self.main_label, self.sub_labels = self.context.namespaced(name), []
            macro_local = "?" if "?" in match.group(1) else ""
            if macro_local and not self.macros.depth:
                self.error(statement, BAD_LABEL, f"?{name} is a macro label (a label of one "
                           "expansion of a macro) outside of a macro", offset)
            self.define_label(statement, macro_local + self.context.namespaced(name), offset)
            return text[match.end():]
        if kind is SUB_LABEL:
            depth, name = len(match.group(2)), match.group(3)
            if self.context.struct:
                pass
            elif not self.main_label:  # its parent may be above the `incsrc` of this file
                self.edge(Statement(statement.line, statement.column + offset, statement.text),
                          BAD_LABEL, f"sub label {'.' * depth}{name} has no parent label above "
                          "it")
            elif depth - 1 > len(self.sub_labels):
                self.error(statement, BAD_LABEL, f"sub label {'.' * depth}{name} has no parent "
                           f"label above it", offset)
            self.sub_labels = self.sub_labels[:depth - 1] + [name]
            self.define_label(statement, self.qualified(depth, name), offset)
            return text[match.end():]
        self.anonymous.setdefault(self.anonymous_key(statement, match), []).append(self.pc)
        return text[match.end():]

    def anonymous_key(self, statement: Statement, match: re.Match) -> str:
        """Where a `+`/`-` label (group 2 of ``match``) is kept: `?+` labels are those of the
        macro expansion in progress (group 1 is the `?`)."""
        if not match.group(1):
            return match.group(2)
        if not self.macros.depth:
            self.error(statement, BAD_LABEL, f"?{match.group(2)} is a macro label outside of a "
                       "macro")
        return match.group(2) + self.macros.local

    def qualified(self, depth: int, name: str) -> str:
        if self.context.struct:
            return f"{self.context.struct}.{name}"
        return _scoped(self.main_label, self.sub_labels, depth, name)

    def define_label(self, statement: Statement, name: str, offset: int,
                     value: int | None | bool = False) -> None:
        position = self.pc if value is False else value
        key = name  # asar's labels are case-sensitive (its mnemonics are not)
        # a label in a branch of an unknown `if` may be defined in the other branch too
        maybe = not self.certain
        if key in self.labels and not maybe and key not in self.maybe_labels:
            self.error(statement, BAD_LABEL, f"label {_shown(name)!r} is defined twice", offset)
        if maybe:
            self.maybe_labels.add(key)
        self.labels[key] = position

    # -- defines -----------------------------------------------------------------------------
    def define(self, statement: Statement) -> None:
        match = _DEFINE_SET.match(statement.text)
        name, before, operator_, after, value = match.groups()
        if not before or not after and value:
            self.error(statement, BAD_DEFINE, f"asar needs spaces around '{operator_}' in a define "
                       f"(write !{name} {operator_} …)")
            return
        if not value:
            self.error(statement, BAD_DEFINE, f"!{name} {operator_} needs a value")
            return
        if value.count('"') % 2:
            self.error(statement, BAD_DEFINE, f"mismatched quotes in the value of !{name}")
            return
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1]
        if operator_ in (":=", "#="):
            value = self.substitute(statement, value) or value
        if operator_ == "#=":
            try:
                evaluated = evaluate(value, self.math_pri, None, self.functions)
            except ExpressionError as error:
                self.error(statement, error.code, f"in !{name} #= …: {error}")
                return
            result = evaluated.value
            keys = [self.label_key(n) for n in evaluated.unresolved]
            for unknown, key in zip(evaluated.unresolved, keys):
                if key not in self.labels:
                    self.report_unresolved(statement, unknown, "label")
            if any(key in self.labels and key not in self.static for key in keys):
                self.error(statement, BAD_DEFINE, f"!{name} #= …: math on code labels is not "
                           "allowed")
                return
            value = str(result) if result is not None else value
        if operator_ == "+=":
            if name not in self.defines:
                self.report_unresolved(statement, "!" + name, "define")
            value = self.defines.get(name, "") + value
        if operator_ == "?=" and name in self.defines:
            return
        self.defines[name] = value

    def substitute(self, statement: Statement, text: str) -> str | None:
        """``text`` with known defines replaced; unknown ones stay (they are defined
        elsewhere) with a warning. None when the statement is only an unknown define."""
        for _ in range(16):  # defines may hold defines
            changed = False

            def replace(match: re.Match) -> str:
                nonlocal changed
                name = match.group(1) or match.group(2)
                if name in self.defines:
                    changed = True
                    return self.defines[name]
                self.report_unresolved(statement, "!" + name, "define")
                return match.group()

            text = _DEFINE_USE.sub(replace, text)
            if not changed:
                break
        if re.fullmatch(r"!\S+", text):
            return None
        return text

    def report_unresolved(self, statement: Statement, name: str, kind: str) -> None:
        if name not in self.unresolved_reported:
            self.unresolved_reported.add(name)
            self.warn(statement, UNRESOLVED, f"{kind} {name} is not defined here "
                      "(fine if it is defined in another file)")

    # -- conditionals ------------------------------------------------------------------------
    def conditional(self, statement: Statement, lower: str) -> bool:
        word = lower.split(None, 1)[0]
        if word not in ("if", "elseif", "else", "endif", "while", "endwhile", "for", "endfor"):
            return False
        argument = statement.text[len(word):].strip()
        if argument and word in ("else", "endif", "endwhile", "endfor"):
            return False  # `else if` / `endif endif` are not asar commands
        if word in ("if", "while", "for"):
            if not argument:
                self.error(statement, BAD_BLOCK, f"'{word}' needs a condition")
            enabled = self.active
            value = self.condition(statement, argument) if enabled and word != "for" else None
            if word == "for" and enabled:
                self.for_loop(statement, argument)
            if word != "if":  # a loop's body is checked once, unless it never runs
                value = False if value is False else None
            self.frames.append(_Frame(word, statement.line, value if enabled else False, value,
                                      self.pc, [] if enabled and word == "if" else None))
            return True
        if word in ("endwhile", "endfor"):
            self.close_frame(statement, word[3:], word)
            return True
        frame = self.frames[-1] if self.frames else None
        if word == "endif" and frame is not None and frame.kind == "while":
            self.end_loop(self.frames.pop())  # asar lets endif close a while (deprecated)
            return True
        if frame is None or frame.kind != "if":
            self.error(statement, BAD_BLOCK, f"'{word}' without 'if'")
            return True
        parent_active = all(f.active is not False for f in self.frames[:-1])
        self.branch_ends(frame)
        if word == "endif":
            self.frames.pop()
            self.after_if(frame)
        elif word == "else":
            frame.has_else = True
            frame.active = False if not parent_active or frame.taken else \
                (None if frame.taken is None else True)
            frame.taken = True if frame.active else frame.taken
        elif not parent_active or frame.taken:  # elseif after a branch taken
            frame.active = False
        else:  # elseif
            value = self.condition(statement, argument)
            if frame.taken is None:  # an earlier branch may have run: this one may not
                frame.active = None if value is not False else False
            else:
                frame.active = value
                frame.taken = value
        return True

    def branch_ends(self, frame: _Frame) -> None:
        """At else/elseif/endif: note where the branch that ends here left the pc, and start
        the next one from the pc at `if`."""
        if frame.ends is None:
            return
        if frame.active is not False:
            frame.ends.append(self.pc)
        self.pc = frame.start_pc

    def after_if(self, frame: _Frame) -> None:
        """The pc after `endif`: where every branch that may have run ended, when they all
        agree; unknown when they differ (the condition decides, and it is not known here)."""
        if frame.ends is None:
            return
        ends = frame.ends + ([] if frame.taken or frame.has_else else [frame.start_pc])
        self.pc = ends[0] if ends and all(end == ends[0] for end in ends) else \
            (frame.start_pc if not ends else None)

    def close_frame(self, statement: Statement, kind: str, word: str) -> None:
        if not self.frames or self.frames[-1].kind != kind:
            self.error(statement, BAD_BLOCK, f"'{word}' without '{kind}'")
            return
        self.end_loop(self.frames.pop())

    def end_loop(self, frame: _Frame) -> None:
        """After a loop, checked once here but run by asar as many times as its condition
        says: where the pc is, is not known if the body moved it."""
        if frame.active is not False and self.pc != frame.start_pc:
            self.pc = None

    def for_loop(self, statement: Statement, argument: str) -> None:
        match = re.fullmatch(r"([A-Za-z0-9_]+)\s+=\s+(\S+)\.\.(\S+)", argument)
        if not match:
            self.error(statement, BAD_BLOCK, "a for loop is written 'for i = 0..8'")
            return
        self.defines.pop(match.group(1), None)

    def condition(self, statement: Statement, text: str, code_labels: bool = False) -> bool | None:
        """The value of an if/elseif condition when it is plain math; None when it is not
        known here (defines from elsewhere, functions)."""
        if "defined(" in text:
            text = _DEFINED.sub(self.defined, text)
        text = self.substitute(statement, text) if "!" in text else text
        if text is None:
            return None
        compact = re.sub(r"\s*(==|!=|<=|>=|&&|\|\||<|>)\s*", r"\1", text.strip())
        names = _CONDITION_NAME.findall(re.sub(r'"[^"]*"', "", compact))
        keys = {name: self.label_key(name) for name in names}
        for name, key in keys.items():
            if key in self.labels and key not in self.static and not code_labels:
                self.error(statement, BAD_BLOCK, f"{name} is a code label: conditions may only use "
                           "numbers, defines and labels set with =")
                return None
            if key not in self.labels:
                self.report_unresolved(statement, name, "label")
        symbols = {name: self.labels[key] for name, key in keys.items()
                   if key in self.labels and (code_labels or key in self.static)}
        try:
            return _truth(compact, self.math_pri, symbols, self.functions)
        except (ExpressionError, ValueError):
            return None

    def defined(self, match: re.Match) -> str:
        """`defined("name")`: 1 for a define known here; 0 for one that is not, in a text read
        alone or a main file (one that includes others: nothing defines it before); unknown
        (left as it is) in a file that may be included, whose includer may define it."""
        if match.group(1) in self.defines:
            return "1"
        return match.group() if self.files.following and len(self.files.paths) == 1 else "0"

    # -- macros ------------------------------------------------------------------------------
    def define_macro(self, statement: Statement) -> None:
        """The `macro` command: the lines up to `endmacro` are recorded, not checked."""
        self.macros.define(statement)

    # -- commands ----------------------------------------------------------------------------
    def command(self, statement: Statement) -> None:
        if statement.text[0] == "@":
            self.prefixed(statement)
            return
        first, lower, text, instruction = _command_parts(statement.text)
        if first[0] == "!":  # a define not known here (warned about) holds the command
            self.pc = None
            return
        if self.context.arch != "65816" and first[0] != "%" and "=" not in text \
                and DIRECTIVES.get("rep" if lower.startswith("rep.") else lower) is None:
            self.pc = None  # an SPC700 / Super FX instruction: not checked, its size unknown
            return
        if instruction and lower[:3].upper() in op.MNEMONICS and not (
                lower[:4] in ("rep", "rep.") and instruction[1]
                and not instruction[1].startswith("#")):
            self.instruction(statement, *instruction)
            return
        if text.startswith("%"):
            self.macros.call(statement)
            return
        handler = DIRECTIVES.get("rep" if lower.startswith("rep.") else lower)
        if handler is not None:
            handler(self.context, statement, text[len(first):].strip())
            return
        if re.match(r"'.'\s+=\s", text):  # a table entry: the byte a character stands for
            self.expression(statement, text.split("=", 1)[1].strip(), text.index("=") + 2)
            return
        words = text.split(None, 2)
        if len(words) >= 2 and words[1] == "=":
            self.assignment(statement, words[0], words[2] if len(words) > 2 else "")
            return
        if lower[:3].upper() in op.MNEMONICS and (len(lower) == 3 or lower[3] == "."):
            self.error(statement, BAD_EXPRESSION, "spaces are not allowed inside an operand "
                       f"(asar reads {text!r} as more than one word)")
            return
        self.unknown(statement, first)

    def prefixed(self, statement: Statement) -> None:
        """`@command` (or `;@command`, the form xkas skips as a comment): asar runs the command
        and warns that the prefix is deprecated."""
        self.warn(statement, ASAR_WARNING, "the '@' / ';@' prefix is deprecated (asar runs the "
                  "command after it; remove the prefix)")
        rest = statement.text.lstrip("@").lstrip()
        if rest:
            self.labelled(Statement(statement.line,
                                    statement.column + len(statement.text) - len(rest), rest))

    def unknown(self, statement: Statement, first: str) -> None:
        if first.endswith(":"):
            self.error(statement, BAD_LABEL, f"{first[:-1]!r} is not a valid label name "
                       "(letters, digits and _ only)")
        elif re.fullmatch(r"[A-Za-z]{3}(\.\w+)?", first):
            self.error(statement, UNKNOWN_MNEMONIC,
                       f"unknown mnemonic {first.upper()} (not a 65816 instruction)")
        else:
            self.error(statement, UNKNOWN_COMMAND, f"unknown command {first!r}")

    def assignment(self, statement: Statement, name: str, expression: str) -> None:
        if not re.fullmatch(r"\??\.*[A-Za-z_][A-Za-z0-9_.]*", name):
            self.error(statement, BAD_LABEL, f"{name!r} is not a valid label name")
            return
        value = self.expression(statement, expression, statement.text.index("=") + 1)
        if value is None:
            return
        scope = self.scope()
        keys = {n: self.label_key(n, scope) for n in value.unresolved}
        self.assigned.extend((statement, n, scope) for n, key in keys.items()
                             if key not in self.labels)
        moving = [n for n, key in keys.items() if key in self.labels and key not in self.static]
        if moving:
            self.error(statement, BAD_LABEL, f"{name} = {moving[0]}: a label cannot be set to a "
                       "code label (use a define)")
            return
        self.static.add(self.context.namespaced(name))
        self.define_label(statement, self.context.namespaced(name), 0, self.resolve(value))

    def expression(self, statement: Statement, text: str, offset: int = 0) -> Value | None:
        """Evaluate ``text``, reporting a problem at its column; None when malformed. Names it
        uses are checked against the labels once the whole text has been read."""
        if not text:
            self.error(statement, BAD_EXPRESSION, "a value is missing", offset)
            return None
        try:
            value = evaluate(text, self.math_pri, None, self.functions)
        except ExpressionError as error:
            self.error(statement, error.code, str(error), offset + error.column)
            return None
        scope = self.scope()
        self.references.extend((statement, name, scope) for name in value.unresolved
                               if not name.startswith("!") and name.strip("+-"))
        return value

    def scope(self) -> Scope:
        """What a label name means here: the main and sub labels above, the namespace."""
        return self.main_label, tuple(self.sub_labels), self.context.namespace

    def resolve(self, value: Value) -> int | None:
        """The value with labels known so far put in (`$0DB080+Foo` once `Foo` is known);
        None while any is unknown."""
        if value.value is not None or not value.unresolved:
            return value.value
        symbols = {name: self.lookup(name) for name in value.unresolved}
        if None in symbols.values() or not value.text:
            return None
        try:
            return evaluate(value.text, self.math_pri, symbols, self.functions).value
        except ExpressionError:
            return None

    def lookup(self, name: str, scope: Scope | None = None) -> int | None:
        return self.labels.get(self.label_key(name, scope))

    def label_key(self, name: str, scope: Scope | None = None) -> str:
        """The name under which the label ``name``, used at ``scope`` (default: here), is
        kept: a sub label's full name; inside a namespace the namespace's own label when there
        is one (then the enclosing namespaces', then the global one, as asar looks)."""
        main, subs, namespace = scope or self.scope()
        if "[" in name:  # `Struct[3].field`: the field of the third of an array of structs
            name = _ARRAY_INDEX.sub("", name)
        if name.startswith("."):  # a sub label of the labels above the reference
            depth = len(name) - len(name.lstrip("."))
            return _scoped(main, list(subs), depth, name[depth:])
        while namespace:
            if f"{namespace}_{name}" in self.labels:
                return f"{namespace}_{name}"
            namespace = namespace.rpartition("_")[0]
        return name

    # -- instructions ------------------------------------------------------------------------
    def instruction(self, statement: Statement, word: str, operand: str) -> None:
        key = (word, operand, self.math_pri)
        cached = _ENCODINGS.get(key)
        if cached is not None:
            self.apply(statement, cached)
            return
        try:
            mnemonic, _ = split_mnemonic(word)
        except OperandError as error:
            self.error(statement, error.code, str(error), 3)
            return
        shape = split_operand(operand)
        offset = len(word) + 1 + shape.offset if operand else 0
        if operand and operand.upper() != "A" and not shape.expression.strip():
            self.error(statement, BAD_NUMBER, f"a value is missing in {operand!r}", offset)
            return
        anonymous = _ANONYMOUS_REF.match(shape.expression) if shape.expression else None
        arguments = 1
        if anonymous:
            value = Value(None, [])
        else:
            parts = split_arguments(shape.expression) if shape.shape == PLAIN else [shape.expression]
            arguments = len(parts)
            value = self.operand_value(statement, parts, offset) if shape.expression else Value(0)
            if value is None:
                return
        if arguments > 1 and split_mnemonic(word)[0] not in ("MVN", "MVP"):
            self.apply(statement, self.encoded(word, shape, value, arguments))
            return
        if value.unresolved or anonymous:
            self.defer(statement, word, operand, value, anonymous, arguments)
            return
        result = self.encoded(word, shape, value, arguments)
        if len(_ENCODINGS) >= _ENCODINGS_LIMIT:
            _ENCODINGS.clear()  # bounded memory; a cold cache only costs time
        _ENCODINGS[key] = result
        self.apply(statement, result)

    def operand_value(self, statement: Statement, parts: list[str], offset: int) -> Value | None:
        values = []
        for part in parts:
            value = self.expression(statement, part, offset)
            if value is None:
                return None
            values.append(value)
            offset += len(part) + 1
        first = values[0]
        return Value(first.value, [n for v in values for n in v.unresolved],
                     max(v.width for v in values))

    @staticmethod
    def encoded(word: str, shape, value: Value, arguments: int, width: int | None = None):
        return _encoding(word, shape, value.width if width is None else width, value.value,
                         arguments)

    def apply(self, statement: Statement, result) -> None:
        if isinstance(result, OperandError):
            self.error(statement, result.code, str(result))
            self.advance(None)
            return
        if result.warning:
            self.warn(statement, ASAR_WARNING, result.warning)
        self.write(statement, result.length)

    def write(self, statement: Statement, length: int | None) -> None:
        """Put ``length`` bytes at the pc: they must stay in one bank and land in ROM. Under
        `base` the pc is where the code will run; the bytes still go to the ROM address the
        last org gave (asar checks the bank border at both and ROM at the second)."""
        pc = self.pc
        if pc is not None and length:
            base = self.context.base
            real = pc if base is None else None if None in base else base[0] + pc - base[1]
            if self.context.struct and base is None:
                self.error(statement, BAD_DIRECTIVE, "a struct holds labels and skip, "
                           "not code or data")
            elif self.context.bankcross and any(
                    (at & 0xFFFF) + length > 0x10000 for at in (pc, real) if at is not None):
                crossed = pc if (pc & 0xFFFF) + length > 0x10000 else real
                self.error(statement, BANK_CROSSED, f"a bank border is crossed at "
                           f"${(crossed | 0xFFFF) + 1:06X}")
            elif self.context.mapper == "lorom" and real is not None and not _maps_to_lorom(real):
                self.error(statement, BANK_CROSSED, f"SNES address ${real:06X} is not ROM in "
                           "lorom (use base for code that runs from RAM)")
        self.advance(length)

    def advance(self, length: int | None) -> None:
        if self.pc is None or length is None:
            self.pc = None
        elif not self.context.bankcross and self.context.mapper == "lorom" \
                and self.context.base is None and self.pc & 0x8000 \
                and (self.pc & 0xFFFF) + length >= 0x10000:
            self.pc = _lorom_after(self.pc, length)
        else:
            self.pc += length

    def defer(self, statement: Statement, word: str, operand: str, value: Value,
              anonymous: re.Match | None, arguments: int) -> None:
        reference = None
        if anonymous:  # '+' means the next such label, '-' the last one
            key = self.anonymous_key(statement, anonymous)
            reference = (key, len(self.anonymous.get(key, ())))
        shape = split_operand(operand)
        mnemonic = split_mnemonic(word)[0]
        if mnemonic in REPEATABLE and shape.shape == "immediate" and value.unresolved:
            self.error(statement, BAD_EXPRESSION, f"the repeat count of {mnemonic} #n must be "
                       "a number, not a label")
            return
        guess = self.encoded(word, shape, value, arguments, self.guess_width(value))
        length = guess.length if isinstance(guess, Encoding) else None
        self.deferred.append(_Deferred(statement, word, operand, value, self.pc, self.scope(),
                                       reference, arguments))
        self.write(statement, length)

    def guess_width(self, value: Value) -> int:
        """Width of an operand naming labels, from what is known so far (two bytes when a
        label is not known yet: asar's first pass assumes the same)."""
        widths = [value.width]
        for name in value.unresolved:
            target = self.lookup(name)
            widths.append(_label_width(target, self.pc))
        return max(widths)

    # -- the end -----------------------------------------------------------------------------
    def finish(self) -> None:
        self.macros.finish()
        for frame in self.frames:
            self.errors.append(ValidationIssue(frame.line, 1, BAD_BLOCK,
                                               f"'{frame.kind}' has no 'end{frame.kind}'"))
        self.context.finish()
        for statement, name, scope in self.assigned:
            key = self.label_key(name, scope)
            if key in self.labels and key not in self.static:
                self.error(statement, BAD_LABEL, f"{name} is a code label defined later: a label "
                           "cannot be set to a code label (use a define)")
        for statement, name, scope in self.references:
            if self.label_key(name, scope) not in self.labels:
                self.report_unresolved(statement, name, "label")
        for item in self.deferred:
            self.check_deferred(item)
        for statement, code, message in self.edges:
            if self.whole:
                self.errors.append(ValidationIssue(statement.line, statement.column, code, message))
            else:
                self.warnings.append(ValidationIssue(
                    statement.line, statement.column, OUTSIDE_CONTEXT,
                    f"{message} (fine if the file including this one has it)"))
        # sorted while the lines carry their files: the text first, then the files it includes
        self.errors = [self.files.located(issue) for issue in sorted(self.errors)]
        self.warnings = [self.files.located(issue) for issue in sorted(self.warnings)]

    def check_deferred(self, item: _Deferred) -> None:
        shape = split_operand(item.operand)
        mnemonic = split_mnemonic(item.word)[0]
        if mnemonic in ("MVN", "MVP") and self.register_as_bank(item, shape):
            return
        targets = []
        for name in item.value.unresolved:
            if name.startswith("!"):
                targets.append(None)
                continue
            key = self.label_key(name, item.scope)
            if key not in self.labels:
                self.report_unresolved(item.statement, name, "label")
                targets.append(None)
            else:
                targets.append(self.labels[key])
        if item.anonymous:
            target = self.anonymous_target(item)
            if target is False:
                sign = _shown(item.anonymous[0])
                self.error(item.statement, BAD_LABEL, f"no '{sign}' label "
                           f"{'after' if sign[0] == '+' else 'before'} this line")
                return
            targets.append(target)
        if mnemonic in op.BRANCHES or mnemonic in ("BRL", "PER"):
            self.check_branch(item, mnemonic, shape, targets)
            return
        known = all(t is not None for t in targets) and item.pc is not None
        if known:
            widths = [max([item.value.width] + [_label_width(t, item.pc) for t in targets])]
        elif any(name.startswith("!") for name in item.value.unresolved):
            widths = [1, 2, 3]  # a define not known here may hold any value
        else:
            widths = [2, 3]
        results = [self.encoded(item.word, shape, item.value, item.arguments, w) for w in widths]
        good = [r for r in results if isinstance(r, Encoding)]
        if not good:
            self.error(item.statement, results[0].code, str(results[0]))
        elif good[0].warning:
            self.warn(item.statement, ASAR_WARNING, good[0].warning)

    def register_as_bank(self, item: _Deferred, shape: Operand) -> bool:
        """`MVN $12,Z`: a block move's operands are two banks; a register name there is an
        error (asar looks for a label of that name, and real code defines none)."""
        for part in split_arguments(shape.expression):
            if part.upper() in _REGISTERS and self.label_key(part, item.scope) not in self.labels:
                self.error(item.statement, BLOCK_MOVE_OPERANDS, f"{item.word} takes two banks "
                           f"({item.word} $7E,$7F): {part} is a register, not a bank")
                return True
        return False

    def anonymous_target(self, item: _Deferred) -> int | None | bool:
        sign, seen = item.anonymous
        positions = self.anonymous.get(sign, [])
        index = seen if sign[0] == "+" else seen - 1
        if not 0 <= index < len(positions):
            return False
        return positions[index]

    def check_branch(self, item: _Deferred, mnemonic: str, shape, targets: list) -> None:
        result = self.encoded(item.word, shape, item.value, 1, 2)
        if isinstance(result, OperandError):
            self.error(item.statement, result.code, str(result))
            return
        if item.pc is None or any(t is None for t in targets) or not targets:
            return
        target = targets[0]
        if item.value.unresolved and not item.anonymous:
            symbols = {name: self.labels.get(self.label_key(name, item.scope))
                       for name in item.value.unresolved}
            target = evaluate(split_operand(item.operand).expression, self.math_pri, symbols,
                              self.functions).value
            if target is None:
                return
        distance = target - (item.pc + result.length)
        limit = 0x80 if mnemonic in op.BRANCHES else 0x8000
        if not -limit <= distance < limit:
            self.error(item.statement, BRANCH_RANGE, f"{mnemonic} target is {distance} bytes away "
                       f"(a {'short' if limit == 0x80 else 'long'} branch reaches "
                       f"{-limit}..{limit - 1}); use {'BRL or JMP' if limit == 0x80 else 'JML'}")


def _shown(name: str) -> str:
    """A label's name as written (`?loop`, not the name of its macro expansion)."""
    return name.split(LOCAL_MARK, 1)[0] if LOCAL_MARK in name else name


def _scoped(main: str, subs: list[str], depth: int, name: str) -> str:
    """asar's full name of a sub label: `.b` under `Main` and `..c` under that are `Main_b`
    and `Main_b_c`."""
    return "_".join([p for p in [main, *subs[:depth - 1]] if p] + [name])


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def _encoding(word: str, shape: Operand, width: int, count: int | None,
              arguments: int) -> Encoding | OperandError:
    """``encode``'s answer or its error. Cached (see ``TEXT_CACHE_SIZE``): it depends on its
    arguments alone, and the operands naming labels, encoded when met and again (for two
    widths when the label is not known) at the end of the text, recur across texts."""
    try:
        return encode(word, shape, width, count, arguments)
    except OperandError as error:
        return error


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def _leading_label(text: str) -> tuple[re.Pattern, re.Match] | None:
    """The label definition at the front of a statement, as (the pattern that matched, its
    match), or None. Cached like ``_command_parts``: the three regex tries depend on the text
    alone, and statements recur across texts (see ``TEXT_CACHE_SIZE``)."""
    for pattern in (MAIN_LABEL, SUB_LABEL):
        match = pattern.match(text)
        if match:
            return pattern, match
    match = ANONYMOUS_LABEL.match(text)
    if match and not text[match.end():].strip().startswith("="):  # `+ = 1` assigns, no label
        return ANONYMOUS_LABEL, match
    return None


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def _command_parts(text: str) -> tuple[str, str, str, tuple[str, str] | None]:
    """A command read once (cached like ``_leading_label``): its first word, that word in
    lower case, the text as asar reads it (commas compacted, `' '` as $20) and, when it has
    the shape of an instruction, (mnemonic word, operand)."""
    first = text.split(None, 1)[0]
    text = compact_commas(text)
    if "' '" in text:  # the one character literal with a space in it
        text = text.replace("' '", "$20")
    instruction = INSTRUCTION.match(text)
    return first, first.lower(), text, (
        (instruction.group(1), instruction.group(2) or "") if instruction else None)


def _lorom_after(pc: int, length: int) -> int:
    """The address ``length`` bytes after ROM address ``pc`` in lorom, where the ROM goes on
    at $8000 of the next bank: with `check bankcross off` asar follows the ROM (after $08FFFF
    comes $098000); with it on, the pc runs on to $090000 and the next write is an error."""
    offset = (pc >> 16 & 0x7F) * 0x8000 + (pc & 0x7FFF) + length
    return (pc & 0x800000) | (offset // 0x8000) << 16 | 0x8000 | offset % 0x8000


def _maps_to_lorom(pc: int) -> bool:
    bank = pc >> 16
    return bank < 0x7E or bank > 0x7F if pc & 0x8000 else 0x40 <= bank < 0x70 or bank >= 0xC0


def _label_width(target: int | None, pc: int | None) -> int:
    """asar's width for a label operand: two bytes when it is in the bank of the code, else
    three (its default `optimize address`); two while either is unknown."""
    if target is None or pc is None:
        return 2
    return 2 if (target >> 16) == (pc >> 16) else 3


_COMPARISONS = (("==", operator.eq), ("!=", operator.ne), ("<=", operator.le),
                (">=", operator.ge), ("<", operator.lt), (">", operator.gt))


def _truth(text: str, math_pri: bool, symbols: dict | None = None,
           functions: Functions | None = None) -> bool | None:
    """An if condition's truth: `a == b`, `a && b`, … around asar math (their operators outside
    parentheses and function calls: `equal(x>>4,1)` is one value); None when not known."""
    for joiner in ("||", "&&"):
        parts = _split_top(text, joiner)
        if len(parts) > 1:
            truths = [_truth(p, math_pri, symbols, functions) for p in parts]
            if None in truths:
                return None
            return any(truths) if joiner == "||" else all(truths)
    for symbol, test in _COMPARISONS:
        parts = _split_top(text, symbol)
        if len(parts) == 2:
            a, b = (evaluate(part, math_pri, symbols, functions).value for part in parts)
            return None if a is None or b is None else test(a, b)
    value = evaluate(text, math_pri, symbols, functions).value
    return None if value is None else value != 0


def _split_top(text: str, symbol: str) -> list[str]:
    """``text`` split on ``symbol`` where it stands outside parentheses and strings; `<` and
    `>` alone, not as part of `<<`, `>>`, `<:`, `<=` or `>=`."""
    if symbol not in text:
        return [text]
    parts, depth, quote, start, index = [], 0, False, 0, 0
    while index < len(text):
        char = text[index]
        if char == '"':
            quote = not quote
        elif not quote and char in "([":
            depth += 1
        elif not quote and char in ")]":
            depth -= 1
        elif not quote and depth == 0 and text.startswith(symbol, index) and (
                len(symbol) == 2 or (text[index - 1:index] not in ("<", ">")
                                     and text[index + 1:index + 2] not in ("<", ">", "=", ":"))):
            parts.append(text[start:index])
            index += len(symbol)
            start = index
            continue
        index += 1
    parts.append(text[start:])
    return parts


def _version_at_least(text: str, minimum: tuple[int, int]) -> bool:
    match = re.match(r"(\d+)\.(\d+)", text)
    return bool(match) and (int(match.group(1)), int(match.group(2))) >= minimum


def validate(text: str, backend: str = "builtin", *, math_pri: bool = False,
             asar_path: str | None = None,
             statements: Sequence[Statement] | None = None,
             path: str | os.PathLike | None = None,
             include_dirs: Sequence[str | os.PathLike] | None = None,
             defines: Mapping[str, str] | None = None) -> ValidationResult:
    """Validate asar 65816 source text.

    ``backend="builtin"`` (default) needs nothing installed; ``backend="asar"`` assembles
    with a real asar binary (``asar_path``, $AFS_ASAR or `asar` on PATH) and maps its
    messages to the same result. ``statements``: ``afs.asm.source.statements(text)`` when
    the caller has split ``text`` already (to share that parse with entity extraction); the
    built-in validator then reads them instead of splitting ``text`` again.

    ``path``: the file ``text`` was read from. Its `incsrc`/`incbin` files are then read
    where asar looks for them (next to the including file, in ``include_dirs``, in the working
    directory) and checked as one program; an issue in one of them names it in
    ``ValidationIssue.file`` and ``lines`` counts every file read. ``defines``: the defines
    asar's `-D name=value` sets (the built-in validator only: ValueError with the asar backend).
    """
    if backend == "asar":
        if defines:
            raise ValueError("defines= is read by the built-in validator only (the asar "
                             "backend takes none)")
        if path is not None:
            return validate_with_asar(text, asar_path, list(map(str, include_dirs or [])),
                                      path=path)
        return validate_with_asar(text, asar_path, list(map(str, include_dirs or [])) or None)
    if backend != "builtin":
        raise ValueError(f"unknown validation backend {backend!r} (use 'builtin' or 'asar')")
    files = SourceFiles(path, include_dirs or ())
    validator = _Validator(math_pri, files, defines)
    validator.run(split_source(text) if statements is None else statements)
    return ValidationResult(not validator.errors, validator.errors, validator.warnings,
                            line_count(text) + files.lines)


def validate_sample(sample, backend: str = "builtin") -> ValidationResult:
    """Validate the code of a training sample's output (a TrainingSample, a dict with
    "output", or the output text): its fenced asm blocks, or the whole output when it is
    code. Line numbers are those of the output. No code at all is valid, with ``lines=0``."""
    output = sample if isinstance(sample, str) else (
        sample.get("output", "") if isinstance(sample, dict) else sample.output)
    errors, warnings, lines = [], [], 0
    for first_line, code in code_blocks(output or ""):
        result = validate(code, backend)
        shift = first_line - 1
        errors += [issue._replace(line=issue.line + shift) for issue in result.errors]
        warnings += [issue._replace(line=issue.line + shift) for issue in result.warnings]
        lines += result.lines
    return ValidationResult(not errors, errors, warnings, lines)
