"""asar math: number literals and expressions.

Literals: `$hex`, `%binary`, decimal (and `1.5`), `'c'` (ASCII). Operators: `+ - * / % << >> &
| ^ **`, prefixes `+ - ~ <:` (`<:` is `>> 16`, the bank of an address). asar evaluates left to
right by default (`math pri off`, for xkas compatibility: `5+6*2` is 22); with `math pri on` (or
a file that starts with `asar 1.9`) it uses conventional precedence. Parentheses work in both
modes. Whitespace is not allowed inside an expression. Names (labels, defines, struct fields,
function calls) are returned as unresolved: they are defined elsewhere, which is not a syntax
error.

Besides the value, ``evaluate`` gives the operand width asar infers from the literals the way
its `getlen` does: the widest literal wins (`$12` is 1 byte, `$0012` 2, `$7E0012` 3; decimals by
value); names leave the width to the caller, which knows the labels.

Functions: asar 1.91's pure built-ins (``BUILTINS``: `equal`, `select`, `stringsequal`, …) and
the text's own `function f(a, b) = …` (``Functions``) are computed when their arguments are
known; other calls (`read1`, `sizeof`, `defined`, …) leave the value unknown.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from afs.asm.diagnostics import BAD_EXPRESSION, BAD_NUMBER, UNBALANCED_PAREN

_NAME = r"[A-Za-z_.?][A-Za-z0-9_.]*(?:\[[^\]]*\](?:\.[A-Za-z0-9_]+)*)?"
_TOKEN = re.compile(
    r"(?P<hex>\$[0-9A-Fa-f]+)|(?P<float>[0-9]+\.[0-9]+)|(?P<dec>[0-9]+)|(?P<char>'[^']')"
    rf"|(?P<define>!(?:[A-Za-z0-9_]+|\{{[^}}]*\}}))|(?P<name>{_NAME})"
    r"|(?P<string>\"[^\"]*\")"
    r"|(?P<op>\*\*|<<|>>|<:|[-+*/%&|^~(),])"
)
_BINARY = re.compile(r"%[01]+")
# a literal that runs straight into letters or digits is one malformed number: `$G1`, `12a`
_MALFORMED = re.compile(r"[$%]?[0-9A-Za-z_]*")
# conventional precedence for `math pri on`; higher binds tighter
_PRECEDENCE = {"|": 1, "^": 2, "&": 3, "<<": 4, ">>": 4, "+": 5, "-": 5,
               "*": 6, "/": 6, "%": 6, "**": 7}
_OPERATIONS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "<<": operator.lshift,
               ">>": operator.rshift, "&": operator.and_, "|": operator.or_, "^": operator.xor,
               "**": operator.pow}
_LITERALS = frozenset({"hex", "bin", "dec", "float", "char"})
_MAX_FUNCTION_DEPTH = 32  # a function calling itself is an error, not a hang


def _flag(test: Callable[..., bool]) -> Callable[..., int]:
    return lambda *args: int(test(*args))


# asar 1.91's built-in functions that depend on their arguments alone: name -> (argument
# kinds, "n" a number and "s" a string, and the function); integer math, like asar's `/`
BUILTINS: dict[str, tuple[str, Callable[..., int]]] = {
    "equal": ("nn", _flag(operator.eq)), "notequal": ("nn", _flag(operator.ne)),
    "less": ("nn", _flag(operator.lt)), "lessequal": ("nn", _flag(operator.le)),
    "greater": ("nn", _flag(operator.gt)), "greaterequal": ("nn", _flag(operator.ge)),
    "and": ("nn", _flag(lambda a, b: a and b)), "or": ("nn", _flag(lambda a, b: a or b)),
    "nand": ("nn", _flag(lambda a, b: not (a and b))),
    "nor": ("nn", _flag(lambda a, b: not (a or b))),
    "xor": ("nn", _flag(lambda a, b: bool(a) != bool(b))), "not": ("n", _flag(operator.not_)),
    "select": ("nnn", lambda c, a, b: a if c else b), "min": ("nn", min), "max": ("nn", max),
    "clamp": ("nnn", lambda v, low, high: max(low, min(v, high))),
    "safediv": ("nnn", lambda a, b, default: default if b == 0 else int(a / b)),
    "floor": ("n", lambda v: v), "ceil": ("n", lambda v: v),
    "sqrt": ("n", lambda v: math.isqrt(v) if v >= 0 else 0), "bank": ("n", lambda v: v >> 16),
    "stringsequal": ("ss", _flag(operator.eq)),
    "stringsequalnocase": ("ss", _flag(lambda a, b: a.lower() == b.lower())),
}


@dataclass(frozen=True)
class Function:
    """A text's `function name(params) = body`."""

    params: tuple[str, ...]
    body: str


class Functions(dict):
    """The functions a text has defined so far (name -> Function). Compared and hashed by
    identity, so that it can key the cache of ``evaluate``: a definition makes a new table."""

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other

    def with_function(self, name: str, function: Function) -> Functions:
        table = Functions(self)
        table[name] = function
        return table


class ExpressionError(ValueError):
    """A malformed expression; ``column`` is where the problem starts (0-based) and ``code``
    says what kind of problem it is (bad_number, unbalanced_paren, bad_expression)."""

    def __init__(self, message: str, column: int, code: str = BAD_EXPRESSION):
        super().__init__(message)
        self.column = column
        self.code = code


@dataclass
class Value:
    """An expression's value (None when it names symbols defined elsewhere or calls a
    function), the names it uses, the byte width asar infers from its literals (0 when it
    has none) and its text (to evaluate again once its names are known)."""

    value: int | None
    unresolved: list[str] = field(default_factory=list)
    width: int = 0
    text: str = ""


def literal_width(kind: str, text: str) -> int:
    """Bytes asar gives a literal: hex by digit count, binary by bit count, decimal by value."""
    if kind == "hex":
        return (len(text) - 1 + 1) // 2
    if kind == "bin":
        return (len(text) - 1 + 7) // 8
    if kind == "char":
        return 1
    value = int(float(text))
    return 1 if value < 0x100 else 2 if value < 0x10000 else 3


def _tokens(text: str) -> list[tuple[str, str, int]]:
    tokens, position = [], 0
    while position < len(text):
        expect_operand = not tokens or tokens[-1][0] == "op" and tokens[-1][1] != ")"
        binary = _BINARY.match(text, position) if expect_operand else None
        match = binary or _TOKEN.match(text, position)
        if match is None:
            raise _unreadable(text, position)
        kind = "bin" if binary else match.lastgroup
        end = match.end()
        if kind in _LITERALS and end < len(text) and (text[end].isalnum() or text[end] == "_"):
            bad = _MALFORMED.match(text, position).group()
            raise ExpressionError(f"malformed number {bad!r}", position, BAD_NUMBER)
        tokens.append((kind, match.group(), position))
        position = end
    return tokens


def _unreadable(text: str, position: int) -> ExpressionError:
    char = text[position]
    if char.isspace():
        return ExpressionError("whitespace is not allowed in an expression", position)
    if char in "$%":
        bad = _MALFORMED.match(text, position).group()
        return ExpressionError(f"malformed number {bad!r}", position, BAD_NUMBER)
    if char == "'":
        return ExpressionError("a character literal is one character between quotes",
                               position, BAD_NUMBER)
    return ExpressionError(f"unexpected character {char!r}", position)


def _literal(kind: str, text: str) -> int:
    if kind == "hex":
        return int(text[1:], 16)
    if kind == "bin":
        return int(text[1:], 2)
    if kind == "char":
        return ord(text[1])
    return int(float(text))


def _apply(symbol: str, left: int, right: int, column: int) -> int:
    if symbol in ("/", "%") and right == 0:
        raise ExpressionError("division by zero", column)
    if symbol in ("**", "<<", ">>") and not 0 <= right <= 64:  # asar's numbers are 64-bit
        raise ExpressionError(f"'{symbol}' by {right} is out of range", column)
    if symbol == "/":
        return int(left / right)
    if symbol == "%":
        return left - int(left / right) * right
    return _OPERATIONS[symbol](left, right)


class _Parser:
    def __init__(self, text: str, precedence: bool, symbols: dict | None = None,
                 functions: Functions | None = None, depth: int = 0):
        self.tokens = _tokens(text)
        self.symbols = symbols or {}
        self.functions = functions or {}
        self.depth = depth
        self.index = 0
        self.precedence = precedence
        self.unresolved: list[str] = []
        self.calls = 0  # function calls: their value is only known to asar
        self.width = 0
        self.end = len(text)

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise ExpressionError("expression ends where a value was expected", self.end)
        self.index += 1
        return token

    def operand(self) -> int:
        kind, text, column = self.take()
        if kind == "op" and text == "(":
            value = self.expression(0)
            self.close(column)
            return value
        if kind == "op" and text in ("+", "-", "~", "<:"):
            value = self.operand()
            return {"+": value, "-": -value, "~": ~value & 0xFFFFFFFF, "<:": value >> 16}[text]
        if kind == "op":
            raise ExpressionError(f"'{text}' where a value was expected", column)
        if kind == "string":
            raise ExpressionError("a string is not a number", column)
        if kind == "name" and self.peek() is not None and self.peek()[1] == "(":
            value = self.call(text, column, self.call_arguments())
            if value is None:
                self.calls += 1
                return 0
            return value
        if kind == "name" and text.strip(".") == "":
            raise ExpressionError(f"{text!r} is not a valid label name", column)
        if kind in ("name", "define") and self.symbols.get(text) is not None:
            return self.symbols[text]
        if kind in ("name", "define"):
            self.unresolved.append(text)
            return 0
        self.width = max(self.width, literal_width(kind, text))
        return _literal(kind, text)

    def call_arguments(self) -> list[int | str | None]:
        """Arguments of a function call such as `bank(Label)` or `readfile1("a.bin", 0)`: a
        string's text, a number, or None for a value not known here."""
        opening = self.take()
        arguments: list[int | str | None] = []
        if self.peek() is not None and self.peek()[1] == ")":
            self.index += 1
            return arguments
        while True:
            token = self.peek()
            if token is not None and token[0] == "string":
                self.index += 1
                arguments.append(token[1][1:-1])
            else:
                known = (len(self.unresolved), self.calls)
                value = self.expression(0)
                arguments.append(value if (len(self.unresolved), self.calls) == known else None)
            token = self.peek()
            if token is None:
                raise ExpressionError("unbalanced parenthesis: '(' is never closed",
                                      opening[2], UNBALANCED_PAREN)
            self.index += 1
            if token[1] == ")":
                return arguments
            if token[1] != ",":
                raise ExpressionError(f"unexpected {token[1]!r} in function arguments", token[2])

    def call(self, name: str, column: int, arguments: list[int | str | None]) -> int | None:
        """The value of a function call; None when it is not known here (an argument is not,
        or the function is not computed here)."""
        function = self.functions.get(name)
        builtin = BUILTINS.get(name) if function is None else None
        wanted = len(function.params) if function else len(builtin[0]) if builtin else None
        if wanted is not None and len(arguments) != wanted:
            raise ExpressionError(f"{name}() takes {wanted} argument{'s' * (wanted != 1)}, "
                                  f"got {len(arguments)}", column)
        if wanted is None or None in arguments:
            return None
        if builtin is not None:
            kinds = "".join("s" if isinstance(a, str) else "n" for a in arguments)
            if kinds != builtin[0]:
                raise ExpressionError(f"{name}() takes {_kinds(builtin[0])}", column)
            return builtin[1](*arguments)
        if self.depth >= _MAX_FUNCTION_DEPTH or any(isinstance(a, str) for a in arguments):
            return None
        body = _Parser(function.body, self.precedence,
                       {**self.symbols, **dict(zip(function.params, arguments))},
                       self.functions, self.depth + 1)
        value = body.expression(0)
        self.unresolved.extend(body.unresolved)  # labels the body names
        return value if not body.unresolved and not body.calls else None

    def close(self, opening: int) -> None:
        closing = self.peek()
        if closing is None or closing[1] != ")":
            raise ExpressionError("unbalanced parenthesis: '(' is never closed", opening,
                                  UNBALANCED_PAREN)
        self.index += 1

    def expression(self, minimum: int) -> int:
        value = self.operand()
        while (token := self.peek()) is not None and token[1] in _PRECEDENCE:
            level = _PRECEDENCE[token[1]] if self.precedence else 1
            if level < minimum:
                break
            self.index += 1
            known = (len(self.unresolved), self.calls)
            right = self.expression(level + 1) if self.precedence else self.operand()
            if (len(self.unresolved), self.calls) != known:
                value = 0  # a name or call not known here: `/ Size` is no division by zero
            else:
                value = _apply(token[1], value, right, token[2])
        return value


def _kinds(kinds: str) -> str:
    return ", ".join({"n": "a number", "s": "a string"}[kind] for kind in kinds)


def evaluate(text: str, math_pri: bool = False, symbols: dict | None = None,
             functions: Functions | None = None) -> Value:
    """Value of an asar expression; raises ExpressionError naming the column of a problem.
    ``symbols`` maps names whose values are known (labels) to them; ``functions``: the
    text's own functions. Treat the result as read-only: results without symbols are shared
    between calls."""
    if symbols:
        return _evaluate(text, math_pri, symbols, functions)
    # a text without functions of its own shares the cache with every other such text
    return _evaluate_cached(text, math_pri, functions or None)


@lru_cache(maxsize=65536)
def _evaluate_cached(text: str, math_pri: bool, functions: Functions | None) -> Value:
    return _evaluate(text, math_pri, None, functions)


def _evaluate(text: str, math_pri: bool, symbols: dict | None,
              functions: Functions | None) -> Value:
    parser = _Parser(text, math_pri, symbols, functions)
    value = parser.expression(0)
    leftover = parser.peek()
    if leftover is not None:
        if leftover[1] == ")":
            raise ExpressionError("unbalanced parenthesis: ')' without '('", leftover[2],
                                  UNBALANCED_PAREN)
        raise ExpressionError(f"unexpected {leftover[1]!r}", leftover[2])
    known = not parser.unresolved and not parser.calls
    return Value(value if known else None, parser.unresolved, parser.width, text)
