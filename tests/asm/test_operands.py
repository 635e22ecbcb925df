import re
from pathlib import Path

import pytest

from afs.asm import opcodes as op
from afs.asm.operands import OperandError, addressing_mode

CORPUS = Path(__file__).parent / "data" / "asar_65816_encodings.tsv"


def asar_encodings():
    rows = []
    for line in CORPUS.read_text().splitlines():
        if line and not line.startswith("#"):
            instruction, encoded = line.split("\t")
            rows.append((instruction, [int(b, 16) for b in encoded.split()]))
    return rows


def test_corpus_covers_every_opcode():
    assert len({encoded[0] for _, encoded in asar_encodings()}) == 256


@pytest.mark.parametrize(("instruction", "encoded"), asar_encodings(), ids=lambda v: str(v))
def test_mode_opcode_and_length_match_asar(instruction, encoded):
    word, _, operand = instruction.partition(" ")
    mode = addressing_mode(word, operand)
    assert op.opcode(word, mode) == encoded[0]
    wide_immediate = operand.startswith("#") and len(operand.lstrip("#$")) > 2
    assert op.encoding_length(mode, m16=wide_immediate, x16=wide_immediate) == len(encoded)


@pytest.mark.parametrize(("word", "operand", "mode"), [
    ("lda.l", "$12,x", op.LONG_X), ("LDA.w", "$12", op.ABSOLUTE), ("sta", "$7E0010", op.LONG),
    ("LDA", "$12,Y", op.ABSOLUTE_Y), ("asl", "", op.ACCUMULATOR), ("INC", "a", op.ACCUMULATOR),
    ("jmp", "($1234)", op.ABSOLUTE_INDIRECT), ("JML", "[$1234]", op.ABSOLUTE_INDIRECT_LONG),
    ("LDA", "($12),X", op.DIRECT_X), ("ASL", "#3", op.ACCUMULATOR), ("MVN", "$7E7F", op.BLOCK_MOVE),
    ("LDA.b", "$12,Y", op.ABSOLUTE_Y), ("STZ", "$12,x", op.DIRECT_X), ("brk", "", op.IMMEDIATE_8),
])
def test_sizes_suffixes_and_case(word, operand, mode):
    assert addressing_mode(word, operand) == mode


@pytest.mark.parametrize(("word", "operand", "message"), [
    ("STA", "#$00", "STA has no immediate mode: a store writes to memory"),
    ("FOO", "$00", "unknown mnemonic FOO"),
    ("STX", "$1234,x", "STX has no addr,x mode (',X' indexing)"),
    ("LDX", "$123456,y", "LDX has no addr,y mode for a three-byte operand"),
    ("JSL", "$123456,x", "JSL has no addr,x mode (',X' indexing)"),
    ("LDA", "", "LDA needs an operand"),
    ("LDA", "$12,q", "',q' is not an index register"),
    ("REP", "#$1234", "REP takes a one-byte immediate"),
    ("MVN", "$7E", "MVN takes two banks"),
    ("JMP", "$123456", "JMP cannot take a long address in asar; use JML"),
    ("LDA.q", "$12", "unknown size suffix '.q'"),
])
def test_errors_say_what_is_wrong(word, operand, message):
    with pytest.raises(OperandError, match=re.escape(message)):
        addressing_mode(word, operand)
