"""asar math: number literals and expressions.

Literals: `$hex`, `%binary`, decimal, `'c'` (ASCII). Operators: `+ - * / % << >> & | ^ **`,
prefixes `+ - ~ <:` (`<:` is `>> 16`, the bank of an address). asar evaluates left to right by
default (`math pri off`, for xkas compatibility: `5+6*2` is 22); with `math pri on` (or a file
that starts with `asar 1.9`) it uses conventional precedence. Parentheses work in both modes.
Whitespace is not allowed inside an expression. Names (labels, defines) are returned as
unresolved: they are defined elsewhere, which is not a syntax error.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"(?P<hex>\$[0-9A-Fa-f]+)|(?P<dec>[0-9]+)|(?P<char>'[^']')"
    r"|(?P<name>[A-Za-z_.!?][A-Za-z0-9_.]*)"
    r"|(?P<op>\*\*|<<|>>|<:|[-+*/%&|^~()])"
)
_BINARY = re.compile(r"%[01]+")
# conventional precedence for `math pri on`; higher binds tighter
_PRECEDENCE = {"|": 1, "^": 2, "&": 3, "<<": 4, ">>": 4, "+": 5, "-": 5,
               "*": 6, "/": 6, "%": 6, "**": 7}


_OPERATIONS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "<<": operator.lshift,
               ">>": operator.rshift, "&": operator.and_, "|": operator.or_, "^": operator.xor,
               "**": operator.pow}


class ExpressionError(ValueError):
    """A malformed expression; ``column`` is where the problem starts (0-based)."""

    def __init__(self, message: str, column: int):
        super().__init__(message)
        self.column = column


@dataclass
class Value:
    """An expression's value, or None when it names symbols defined elsewhere."""

    value: int | None
    unresolved: list[str] = field(default_factory=list)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    tokens, position = [], 0
    while position < len(text):
        expect_operand = not tokens or tokens[-1][0] == "op" and tokens[-1][1] != ")"
        binary = _BINARY.match(text, position) if expect_operand else None
        match = binary or _TOKEN.match(text, position)
        if match is None:
            what = "whitespace is not allowed in an expression" if text[position].isspace() \
                else f"unexpected character {text[position]!r}"
            raise ExpressionError(what, position)
        kind = "bin" if binary else match.lastgroup
        tokens.append((kind, match.group(), position))
        position = match.end()
    return tokens


def _literal(kind: str, text: str) -> int:
    if kind == "hex":
        return int(text[1:], 16)
    if kind == "bin":
        return int(text[1:], 2)
    if kind == "char":
        return ord(text[1])
    return int(text)


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
    def __init__(self, text: str, precedence: bool):
        self.tokens = _tokens(text)
        self.index = 0
        self.precedence = precedence
        self.unresolved: list[str] = []
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
            closing = self.peek()
            if closing is None or closing[1] != ")":
                raise ExpressionError("unbalanced parenthesis: '(' is never closed", column)
            self.index += 1
            return value
        if kind == "op" and text in ("+", "-", "~", "<:"):
            value = self.operand()
            return {"+": value, "-": -value, "~": ~value & 0xFFFFFFFF, "<:": value >> 16}[text]
        if kind == "op":
            raise ExpressionError(f"'{text}' where a value was expected", column)
        if kind == "name":
            self.unresolved.append(text)
            return 0
        return _literal(kind, text)

    def expression(self, minimum: int) -> int:
        value = self.operand()
        while (token := self.peek()) is not None and token[1] in _PRECEDENCE:
            level = _PRECEDENCE[token[1]] if self.precedence else 1
            if level < minimum:
                break
            self.index += 1
            right = self.expression(level + 1) if self.precedence else self.operand()
            value = _apply(token[1], value, right, token[2])
        return value


def evaluate(text: str, math_pri: bool = False) -> Value:
    """Value of an asar expression; raises ExpressionError naming the column of a problem."""
    parser = _Parser(text, math_pri)
    value = parser.expression(0)
    leftover = parser.peek()
    if leftover is not None:
        problem = "unbalanced parenthesis: ')' without '('" if leftover[1] == ")" \
            else f"unexpected {leftover[1]!r}"
        raise ExpressionError(problem, leftover[2])
    return Value(None if parser.unresolved else value, parser.unresolved)
