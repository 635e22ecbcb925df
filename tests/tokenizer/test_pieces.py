"""The asm piece cut: what stays together before the subword vocabulary runs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afs.asm.opcodes import MNEMONICS
from afs.tokenizer import SEED_PIECES, pre_tokenize

from .conftest import ROUTINE


@pytest.mark.parametrize("line, pieces", [
    ("LDA #$00 ; Load zero", ["LDA", " #$00", " ; Load zero"]),
    ("\n  STA $7E0010", ["\n  ", "STA", " $7E0010"]),
    ("  STA $7E0010", [" ", " STA", " $7E0010"]),  # no line break: GPT-2's space rule
    ("LDA.w ($00),Y", ["LDA.w", " ($00),Y"]),
    ("ADC $0D00,X", ["ADC", " $0D00,X"]),
    ("LDA [$00],Y", ["LDA", " [$00],Y"]),
    ("LDA $01,S", ["LDA", " $01,S"]),
    ("LDA ($01,S),Y", ["LDA", " ($01,S),Y"]),
    ("JMP ($0000,X)", ["JMP", " ($0000,X)"]),
    ("LDA.w SprState, X", ["LDA.w", " SprState, X"]),
    ("lda.l !Define,x", ["lda.l", " !Define,x"]),
    ("Label: RTS", ["Label:", " RTS"]),
    (".loop\n  BNE .loop", [".loop", "\n  ", "BNE", " .loop"]),
    ("..sub", ["..sub"]),
    ("BRA +\n+ RTS\n- BRA -", ["BRA", " +", "\n", "+", " RTS", "\n", "-", " BRA", " -"]),
    ("!Foo = $10", ["!Foo", " =", " $10"]),
    ('incsrc "sprites/foo.asm"', ["incsrc", ' "sprites/foo.asm"']),
    ("\n  db $00, $01", ["\n  ", "db", " $00", ",", " $01"]),
    ("%SetSpeed($10, 2)", ["%SetSpeed", "(", "$10", ",", " 2", ")"]),
    ("LDA\t#$00\r\n\tRTS", ["LDA", "\t", "#$00", "\r\n\t", "RTS"]),
    ("RTS    ; done", ["RTS", "   ", " ; done"]),
    ("LDAX LDA_Foo", ["LDAX", " LDA_Foo"]),
])
def test_lines_cut_into_asm_pieces(line, pieces):
    assert pre_tokenize(line) == pieces


def test_every_seed_is_one_piece():
    for seed in SEED_PIECES:
        assert pre_tokenize(seed) == [seed]


def test_every_mnemonic_and_size_is_seeded():
    assert MNEMONICS <= set(SEED_PIECES)
    assert {"LDA.b", "LDA.w", "LDA.l", "JSL.l", "STZ.w", "org", "db", "incsrc"} <= set(SEED_PIECES)


@given(st.text())
def test_pieces_cover_the_text(text):
    assert "".join(pre_tokenize(text)) == text


def test_pieces_cover_a_routine():
    assert "".join(pre_tokenize(ROUTINE)) == ROUTINE
