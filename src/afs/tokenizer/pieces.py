"""How ASMTokenizer cuts asar source into pieces before the learned subword vocabulary runs.

The cut is one regular expression used by a `tokenizers` ``Split`` pre-tokenizer, so it lives
inside ``tokenizer.json`` and any program that loads the directory (transformers'
``AutoTokenizer`` included) cuts text the same way, without AFS installed. Subword tokens never
cross a piece boundary. Pieces, tried in this order at each position:

- line breaks with the whitespace around them: ``"\\n  "`` (newline + indentation), ``"\\r\\n"``
- a comment up to the end of its line: ``" ; Load zero"``
- a mnemonic with its size suffix: ``LDA``, ``LDA.w``, ``" STA"``
- a label definition: ``Main:``, ``.loop:``
- an operand with its addressing-mode shape: ``" #$00"``, ``" $7E0010"``, ``" ($00),Y"``,
  ``" $0D00,X"``, ``" [$00],Y"``, ``" $01,S"``, ``" !Define"``, ``" .loop"``, ``..sub``, ``" Label"``
- a macro call ``%Name``, a string ``"file.asm"``, anonymous labels ``+``, ``--``
- any other word (directives such as ``org``, ``db``, ``incsrc`` among them), any other
  punctuation, then whitespace.

Like GPT-2, one space before a piece belongs to that piece (``" #$00"``), and of a longer run
of spaces all but the last form a piece of their own. Whatever the regex does not match still
becomes a piece: the cut never loses or adds a character.

``SEED_PIECES`` are pieces that the trained vocabulary must hold as single tokens (mnemonics,
mnemonics with size suffixes, directives, common operand shapes).
"""

from __future__ import annotations

import functools
from typing import Any

from afs.asm import opcodes as op

# `$7E0010`, `%0101`, `42`, `!Define`, `Label`, `.sublabel`, `..sub`
_ATOM = r"\$[0-9A-Fa-f]+|%[01]+(?!\w)|\d+(?!\w)|!?[A-Za-z_]\w*|\.+[A-Za-z_]\w*"
# `#x`, `(x)`, `(x),Y`, `(x,X)`, `(x,S),Y`, `[x]`, `[x],Y`, `x`, `x,X`, `x,Y`, `x,S`
# (a space may follow the comma: `x, X`)
_OPERAND = (rf"#(?:{_ATOM})"
            rf"|\((?:{_ATOM})(?:, ?[XxSs])?\)(?:, ?[Yy](?!\w))?"
            rf"|\[(?:{_ATOM})\](?:, ?[Yy](?!\w))?"
            rf"|(?:{_ATOM})(?:, ?[XxYySs](?!\w))?")
_MNEMONICS = "|".join(sorted(op.MNEMONICS, key=lambda m: (-len(m), m)))

PIECE_PATTERN = "|".join([
    r"\s*\n[ \t]*",                                     # line break(s) + indentation
    r" ?;[^\r\n]*",                                     # comment
    rf" ?(?i:{_MNEMONICS})(?:\.[BWLbwl])?(?![\w:])",    # mnemonic[.size]
    r" ?\.*[A-Za-z_]\w*:",                              # label definition
    rf" ?(?:{_OPERAND})",                               # operand, label, define, sublabel
    r" ?%[A-Za-z_]\w*",                                 # macro call
    r' ?"[^"\r\n]*"?',                                  # string
    r" ?[+-]+:?",                                       # anonymous labels, + and -
    r" ?\w+",                                           # other words (directives, prose)
    r" ?[^\s\w$#%!\";.(\[+-]+",                         # punctuation and operators
    r" ?[^\s\w]",                                       # any other single symbol
    r"\s+(?!\S)",                                       # spaces, leaving one for the next
    r"\s+",
])

# asar directives and commands (the words a line starts with when it is not an instruction)
DIRECTIVES = (
    "org", "base", "db", "dw", "dl", "dd", "incsrc", "incbin", "macro", "endmacro", "if",
    "elseif", "else", "endif", "while", "endwhile", "for", "endfor", "print", "warn", "error",
    "assert", "warnpc", "pushpc", "pullpc", "pushbase", "pullbase", "namespace", "struct",
    "endstruct", "table", "cleartable", "fillbyte", "fill", "padbyte", "pad", "skip", "align",
    "freespace", "freecode", "freedata", "autoclean", "prot", "lorom", "hirom", "exlorom",
    "exhirom", "sa1rom", "fullsa1rom", "norom", "arch", "math", "check", "function",
    "spcblock", "endspcblock", "optimize", "bank", "undef", "global", "include",
    "includefrom", "includeonce", "pushns", "pullns", "pushtable", "pulltable",
)

# Immediates and operand shapes common enough in 65816 code to deserve one token each.
_COMMON_OPERANDS = (
    "#$00", "#$01", "#$02", "#$03", "#$04", "#$08", "#$0F", "#$10", "#$20", "#$30", "#$40",
    "#$80", "#$FF", "#$0000", "#$0001", "#$FFFF", "$00", "$01", "$02", "$0000",
    "($00),Y", "[$00],Y", "($00)", "[$00]", "$01,S", "A",
)


def _size_suffixes(mnemonic: str) -> tuple[str, ...]:
    """The `.b/.w/.l` forms that make sense for ``mnemonic``, from its addressing modes."""
    modes = op.OPCODES[mnemonic]
    suffixes = []
    if modes.keys() & {op.DIRECT, op.ABSOLUTE, op.IMMEDIATE_M, op.IMMEDIATE_X, op.IMMEDIATE_8}:
        suffixes += [".b", ".w"]
    if modes.keys() & {op.LONG, op.LONG_X}:
        suffixes.append(".l")
    return tuple(mnemonic + suffix for suffix in suffixes)


def _seed_pieces() -> tuple[str, ...]:
    seeds: list[str] = []
    for mnemonic in sorted(op.MNEMONICS):
        seeds += [mnemonic, " " + mnemonic, *_size_suffixes(mnemonic)]
    for directive in DIRECTIVES:  # at a line's start, or after a label: `Table: dw …`
        seeds += [directive, " " + directive]
    for operand in _COMMON_OPERANDS:
        seeds += [operand, " " + operand]
    return tuple(seeds)


SEED_PIECES = _seed_pieces()


@functools.cache
def piece_splitter() -> Any:
    """The `tokenizers` pre-tokenizer that cuts text into asm pieces (no byte mapping)."""
    from tokenizers import Regex, pre_tokenizers

    return pre_tokenizers.Split(Regex(PIECE_PATTERN), behavior="isolated")


def pre_tokenize(text: str) -> list[str]:
    """``text`` cut into asm pieces; joined, they give ``text`` back."""
    return [piece for piece, _ in piece_splitter().pre_tokenize_str(text)]
