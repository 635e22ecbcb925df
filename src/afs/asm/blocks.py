"""Where the asar code is in a text (``code_blocks``): its fenced Markdown blocks (```asm … ```)
and every line outside them that asar would read as an instruction, a label or a command,
wherever it stands; ``looks_like_code`` says whether a text is (nearly) all code. Also the
Markdown fence test the doc readers share (``FENCE``), so every reader agrees on what opens a
fence.

A line is judged by what follows its first word, with the validator's own readers
(``afs.asm.operands.split_operand``, ``afs.asm.expressions.evaluate``), not by its first word
alone: ``LDA $10`` and ``LDB $7EF36D`` (no such mnemonic: broken code) are code, while ``LDA
loads the accumulator from memory.`` is prose, a mnemonic followed by words that make no
operand. See ``line_kind`` for the whole rule.
"""

from __future__ import annotations

import re
from functools import lru_cache

from afs.asm import opcodes as op
from afs.asm.expressions import ExpressionError, evaluate
from afs.asm.operands import PLAIN, split_operand
from afs.asm.source import (TEXT_CACHE_SIZE, compact_commas, split_arguments, split_statements,
                            strip_comment, without_labels)

# a line that opens or closes a fenced Markdown block (``` or ~~~), tried with .match
FENCE = re.compile(r"^\s*(```|~~~)")
# a whole ``` block: its language word and its code (asar code is only looked for in ```)
_FENCED_BLOCK = re.compile(r"^[ \t]*```[ \t]*([\w+#-]*)[^\n]*\n(.*?)^[ \t]*```", re.M | re.S)
# fence languages taken as asar code (an unlabelled fence counts too)
ASM_LANGUAGES = frozenset({"", "asm", "asar", "65816", "65c816", "snes", "assembly", "nasm",
                           "s", "a65", "6502"})

# What a line is (``line_kind``). CODE: a statement only code has. LABEL: a line that is code
# next to code but could be a heading or a word alone (`Returns:`, `.loop`, `endif`, `RTQ`,
# `incsrc ram.asm`). PROSE: anything else. COMMENT and BLANK: neither, the first joining the
# code around it.
CODE, LABEL, PROSE, COMMENT, BLANK = "code", "label", "prose", "comment", "blank"
# the share of a text's non-blank lines that must be code for the whole text to be code (a
# source file: asar reads every line of it)
WHOLE_TEXT_SHARE = 0.8

# a mnemonic-shaped word: three letters, maybe a size suffix (asar splits a line on spaces)
_WORD = re.compile(r"[A-Za-z]{3}(?:\.[A-Za-z]+)?$")
# what only code has: a hex or binary literal, an immediate, a define, a string, a number
# standing alone, an index register after a comma
_CODE_MARK = re.compile(r"[$#%!\"]|(?<![\w.])\d|,\s*[xysXYS]\b")
# asar's block commands (the validator reads them before its command table); those taking a
# condition (comparisons joined by && and ||), and `for`'s range
_BLOCK_WORDS = frozenset({"if", "elseif", "else", "endif", "while", "endwhile", "for", "endfor"})
_CONDITION_WORDS = frozenset({"if", "elseif", "while", "assert"})
_COMPARISON = re.compile(r"\s*(?:==|!=|<=|>=|&&|\|\||(?<![<>])[<>](?![<>])|(?<![=!<>])=)\s*")
_FOR_RANGE = re.compile(r"\w+\s*=\s*\S+\.\.\S+$")
# `!name = value` and its kin (asar needs the spaces; the validator says so when they are
# missing), a macro call `%name(…)`, an assignment `Name = value`
_DEFINE = re.compile(r"!\{?\w+\}?\s*(?:=|\+=|:=|#=|\?=)")
_MACRO_CALL = re.compile(r"%[A-Za-z_]\w*\(.*\)$")
_ASSIGNED_NAME = re.compile(r"\??\.*[A-Za-z_][\w.]*$")
# arguments of a command in asar's keyword style (`math pri on`, `struct Foo $7E0000`,
# `macro Move(a, b)`, `for i = 0..4`): a few words none of which ends a sentence
_KEYWORD_ARGUMENTS = 4
_SENTENCE_END = re.compile(r"[.,:;?]$")
_SPACED_OPERATOR = re.compile(r"\s*([-+*/&|^<>=,~])\s*")
_ANONYMOUS_TARGET = re.compile(r"\??(?:\++|-+)$")
# the first word after labels and `-` bullets (possessive: in `- line 6` it is `line`), and
# the `=` of an assignment after it
_FIRST_WORD = re.compile(r"(?:(?:\S+:|\??[-+]+)(?:\s+|$))*+(\S*)(\s*=)?")
# a macro's argument inside its body (`LDA.l <address>`, `.<label>_inc`): read as the name
_MACRO_ARGUMENT = re.compile(r"<([A-Za-z_][\w.]*)>")


@lru_cache(maxsize=1)
def _command_words() -> frozenset[str]:
    """asar's command names, from the validator's own table (read on first use: the doc
    readers import ``FENCE`` from here without the validator)."""
    from afs.asm.directives import DIRECTIVES

    return frozenset(DIRECTIVES) | _BLOCK_WORDS


def _code_case(word: str) -> bool:
    """Code is not written as a sentence starts (`LDA`, `lda`, `endMacro`, not `And`, `For`)."""
    return not (word[:1].isupper() and word[1:].islower())


def _evaluates(expression: str) -> bool:
    try:
        evaluate(expression)
    except ExpressionError:
        return False
    return True


def _parses(expression: str) -> bool:
    """True when every comma-separated part of ``expression`` is an asar expression."""
    return all(map(_evaluates, split_arguments(expression)))


def _value_or_string(argument: str) -> bool:
    """A command's argument: a string, or a value (asar still takes `db #$0B`, warning)."""
    return argument.startswith('"') or _evaluates(argument[1:] if argument[:1] == "#"
                                                  else argument)


def operand_parses(operand: str) -> bool:
    """True when ``operand`` reads as an instruction's operand as the validator reads it: a
    shape (``split_operand``, asar's order) around expressions that ``evaluate`` reads (a
    plain one may hold several, as MVN's two banks), or an anonymous target (`+`, `--`)."""
    shape = split_operand(operand)
    if not shape.expression:
        return shape.shape != PLAIN and operand.upper() == "A"
    if _ANONYMOUS_TARGET.fullmatch(shape.expression):
        return True
    return _parses(shape.expression) if shape.shape == PLAIN else _evaluates(shape.expression)


def _operator(match: re.Match) -> str:
    """A match's first group (a function: a template string is parsed on every call)."""
    return match.group(1)


def _without_spaced_operators(text: str) -> str:
    """``text`` without the blanks around its operators (`$10 + 2` -> `$10+2`)."""
    return _SPACED_OPERATOR.sub(_operator, text.strip())


def _is_spaced_code(joined: str) -> bool:
    """An operand that was code with blanks around its operators: one word, that only code
    could have written."""
    return " " not in joined and "\t" not in joined and bool(_CODE_MARK.search(joined))


def _instruction_kind(word: str, rest: str) -> str:
    """A statement starting with a three-letter word (a mnemonic, or one that is no 65816
    instruction, which is broken code when an operand only code has follows it)."""
    known = word[:3].upper() in op.MNEMONICS
    code_case = _code_case(word[:3])
    if not rest:
        if known:
            return CODE if code_case else LABEL
        return LABEL if code_case else PROSE
    if len(rest.split()) > 1:
        # asar refuses spaces in an operand: broken code when they only stand around operators
        # of an operand only code has (`LDA $10 + 2`), a sentence otherwise (`LDA loads the
        # accumulator`, `use !SKIP to place no tile`)
        joined = _without_spaced_operators(rest)
        return CODE if _is_spaced_code(joined) and operand_parses(joined) else PROSE
    if _CODE_MARK.search(rest):  # `STA #$00`, `LDB $7EF36D`, `LDA #$GG`: broken or not, code
        return PROSE if not known and _SENTENCE_END.search(rest) else CODE  # not `see $10.`
    if not code_case or _SENTENCE_END.search(rest) or not operand_parses(rest):
        return PROSE
    if known:
        return CODE  # a label operand: `JSL Foo`, `BRA .loop`
    # `JSQ Foo` is broken code, `NMI Handler` a heading: code next to code
    return LABEL if word[:3].isupper() else PROSE


def _condition_parses(condition: str) -> bool:
    """True when ``condition`` is expressions joined by comparisons, `&&` and `||`."""
    return all(_evaluates(_without_spaced_operators(side))
               for side in _COMPARISON.split(condition.strip()))


def _command_kind(word: str, rest: str) -> str:
    """A statement starting with one of asar's commands (`org`, `db`, `if`, `incsrc`, …)."""
    code_case = _code_case(word)
    if not rest:
        return LABEL if code_case else PROSE
    marked = bool(_CODE_MARK.search(rest))
    lower = word.lower()
    if lower in _CONDITION_WORDS or lower == "for":
        condition, *message = split_arguments(rest) if lower == "assert" else [rest]
        if not (_FOR_RANGE.match(rest) if lower == "for" else
                _condition_parses(condition) and all(map(_value_or_string, message))):
            return PROSE  # `If the sprite is dead, return.`, `for example:`
        return CODE if marked else (LABEL if code_case else PROSE)
    if all(map(_value_or_string, split_arguments(rest))):
        return CODE if marked else (LABEL if code_case else PROSE)
    words = rest.split()
    if code_case and len(words) <= _KEYWORD_ARGUMENTS \
            and not any(_SENTENCE_END.search(w) for w in words):
        return CODE if marked else LABEL
    return PROSE


def _assignment_kind(expression: str) -> str:
    """`Name = value`: code when the value is an expression (with spaces asar refuses,
    still code when only code could have written it)."""
    if _parses(expression):
        return CODE if _CODE_MARK.search(expression) else LABEL
    joined = _without_spaced_operators(expression)
    return CODE if _is_spaced_code(joined) and _parses(joined) else PROSE


def _may_be_code(text: str) -> bool:
    """A cheap first look: False when a statement can only be prose (its first word after
    labels and `-` bullets is no three-letter word, no command, no define, macro or label,
    and no `=` follows it), which most prose lines are told by."""
    word, assigned = _FIRST_WORD.match(text).groups()
    return (not word or assigned is not None or word[0] in ".?#!%{}<@" or word[-1] == ":"
            or len(word.partition(".")[0]) == 3 or word.lower() in _command_words())


def statement_kind(text: str) -> str:
    """CODE, LABEL or PROSE for one statement (no comment, not empty)."""
    if text[0] == "@":  # `;@ pushpc`: a command asar reads, xkas hid in a comment
        text = text[1:].lstrip()
    if "`" in text or not text or not _may_be_code(text):
        return PROSE
    if "<" in text:
        text = _MACRO_ARGUMENT.sub(_operator, text)
    if "' '" in text:  # the one character literal with a space in it, as the validator reads it
        text = text.replace("' '", "$20")
    body = without_labels(text)
    if not body:
        return LABEL
    if body in ("{", "}"):
        return LABEL
    if body[0] == "!":
        return CODE if _DEFINE.match(body) else LABEL
    if body[0] == "%":
        return CODE if _MACRO_CALL.match(body) else PROSE
    word, _, rest = body.partition(" ")
    rest = compact_commas(rest.strip())  # asar drops the blanks after a comma
    if rest[:2] == "= " or rest == "=":
        return _assignment_kind(rest[1:].strip()) if _ASSIGNED_NAME.match(word) else PROSE
    if word.lower() in _command_words() and word[:3].upper() not in op.MNEMONICS:
        return _command_kind(word, rest)
    if _WORD.match(word):
        return _instruction_kind(word, rest)
    if word.lower() in _command_words():
        return _command_kind(word, rest)
    return PROSE


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def line_kind(line: str) -> str:
    """What one physical line is: BLANK, COMMENT (only a `;` comment), or, over its ` : `
    statements, PROSE when any is prose, else CODE when any is code, else LABEL. A trailing
    `,` or `\\` (asar joins the next line) is left out of the reading. Cached: code and doc
    lines recur (see ``TEXT_CACHE_SIZE``)."""
    text = strip_comment(line).strip()
    if not text:
        return COMMENT if line.strip() else BLANK
    if "`" in text:  # inline Markdown code or a fence: prose that quotes code
        return PROSE
    if text[-1] in ",\\":
        text = text[:-1].rstrip()
        if not text:
            return LABEL
    if " :" not in text and "\t:" not in text:  # one statement (asar splits on ` : `)
        return statement_kind(text)
    kinds = {statement_kind(statement.text) for statement in split_statements(0, text)}
    if PROSE in kinds or not kinds:
        return PROSE
    return CODE if CODE in kinds else LABEL


def _continues(line: str) -> bool:
    """asar joins the next line to one that ends with `,` or `\\`."""
    return strip_comment(line).rstrip().endswith((",", "\\"))


def _kinds(lines: list[str]) -> list[str]:
    """``line_kind`` of each line, a line asar joins to a code line taking that line's kind."""
    kinds = [line_kind(line) for line in lines]
    for index in range(1, len(kinds)):
        if kinds[index - 1] in (CODE, LABEL) and _continues(lines[index - 1]):
            kinds[index] = kinds[index - 1]
    return kinds


def _whole_text(kinds: list[str]) -> bool:
    """The rule of ``looks_like_code`` over line kinds, with a code line among them (labels,
    bare words and comments alone are no code: `NMI`, `Returns:`)."""
    written = [kind for kind in kinds if kind != BLANK]
    return CODE in written and sum(kind != PROSE for kind in written) >= \
        WHOLE_TEXT_SHARE * len(written)


def code_lines(lines: list[str]) -> list[bool]:
    """Which of ``lines`` are code: all of them when the text is code (``looks_like_code``
    and a code line), else each run of adjacent code, label and comment lines that holds a
    code line, with the lines asar joins to a code line."""
    kinds = _kinds(lines)
    if _whole_text(kinds):
        return [True] * len(lines)
    code = [False] * len(lines)
    start = 0
    while start < len(kinds):
        end = start
        while end < len(kinds) and kinds[end] in (CODE, LABEL, COMMENT):
            end += 1
        if CODE in kinds[start:end]:
            code[start:end] = [True] * (end - start)
        start = end + 1
    return code


def _unfenced_code(lines: list[str], code: list[bool]) -> list[tuple[int, str]]:
    """The ``code`` lines among ``lines`` as one block, or none: (1-based line of the first
    code line, the lines from there to the last code line, every other line left blank so
    that line numbers stay the text's, and a line break after the last, as a fenced block
    has: joined with the others, each block's statements stay its own)."""
    if not any(code):
        return []
    first = code.index(True)
    last = len(code) - 1 - code[::-1].index(True)
    return [(first + 1, "".join(f"{line if code[i] else ''}\n" for i, line in
                                enumerate(lines[first:last + 1], first)))]


def code_blocks(text: str) -> list[tuple[int, str]]:
    """asar code in ``text``, in order of where it starts: each fenced asm block (1-based line
    where its code starts, its code) and the code outside fences (one block, its other lines
    blank: see ``code_lines``); the whole text when it is all code."""
    lines = text.splitlines()
    fenced = [(match, text.count("\n", 0, match.start(2)) + 1) for match in
              _FENCED_BLOCK.finditer(text)] if "```" in text else []
    if not fenced:
        code = code_lines(lines)
        return [(1, text)] if lines and all(code) else _unfenced_code(lines, code)
    outside = list(lines)
    for match, _ in fenced:  # every fenced block, asm or not, is no code outside fences
        first = text.count("\n", 0, match.start())
        last = text.count("\n", 0, match.end())
        outside[first:last + 1] = [""] * (last + 1 - first)
    blocks = [(line, match.group(2)) for match, line in fenced
              if match.group(1).lower() in ASM_LANGUAGES]
    return sorted(blocks + _unfenced_code(outside, code_lines(outside)))


def _reads_as_code(line: str) -> bool:
    """One line of ``looks_like_code``'s share: a statement or a comment."""
    return line_kind(line) in (CODE, LABEL, COMMENT)


def looks_like_code(text: str) -> bool:
    """True when at least ``WHOLE_TEXT_SHARE`` of the non-blank lines of ``text`` read as
    asar statements or comments."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return False
    needed, code, left = WHOLE_TEXT_SHARE * len(lines), 0, len(lines)
    for line in lines:  # stops once the verdict is sure: prose fails on its first lines
        code += _reads_as_code(line)
        left -= 1
        if code >= needed:
            return True
        if code + left < needed:
            return False
    return False
