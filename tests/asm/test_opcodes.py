from collections import Counter

import pytest

from afs.asm import opcodes as op


def test_ninety_two_mnemonics_including_the_65816_additions():
    assert len(op.MNEMONICS) == 92
    assert {"TRB", "TSB", "TXY", "TYX", "WDM", "COP", "MVN", "MVP", "PEA", "PEI", "PER", "BRL",
            "JML", "JSL", "RTL", "XBA", "XCE", "STZ", "BRA", "PHX", "PLY", "STP", "WAI"} <= op.MNEMONICS


def test_every_opcode_byte_is_assigned_exactly_once():
    seen = Counter(code for mnemonic, modes in op.OPCODES.items() for mode, code in modes.items()
                   if (mnemonic, mode) not in op.ALIASES)
    assert sorted(seen) == list(range(256))
    assert set(seen.values()) == {1}


@pytest.mark.parametrize(("mnemonic", "mode", "code"), [
    ("LDA", op.IMMEDIATE_M, 0xA9), ("LDA", op.LONG_X, 0xBF), ("LDA", op.DIRECT_INDIRECT_LONG_Y, 0xB7),
    ("STA", op.STACK_RELATIVE_INDIRECT_Y, 0x93), ("CMP", op.DIRECT_INDIRECT_Y, 0xD1),
    ("JSL", op.LONG, 0x22), ("JML", op.ABSOLUTE_INDIRECT_LONG, 0xDC), ("JMP", op.ABSOLUTE_X_INDIRECT, 0x7C),
    ("JSR", op.ABSOLUTE_X_INDIRECT, 0xFC), ("MVN", op.BLOCK_MOVE, 0x54), ("MVP", op.BLOCK_MOVE, 0x44),
    ("PEI", op.DIRECT_INDIRECT, 0xD4), ("PER", op.RELATIVE_LONG, 0x62), ("BRL", op.RELATIVE_LONG, 0x82),
    ("BIT", op.IMMEDIATE_M, 0x89), ("STZ", op.ABSOLUTE_X, 0x9E), ("LDX", op.ABSOLUTE_Y, 0xBE),
    ("STX", op.DIRECT_Y, 0x96), ("INC", op.ACCUMULATOR, 0x1A), ("DEC", op.ACCUMULATOR, 0x3A),
    ("TSB", op.ABSOLUTE, 0x0C), ("TRB", op.DIRECT, 0x14), ("REP", op.IMMEDIATE_8, 0xC2),
    ("XBA", op.IMPLIED, 0xEB), ("WDM", op.IMMEDIATE_8, 0x42), ("COP", op.IMMEDIATE_8, 0x02),
])
def test_known_opcodes(mnemonic, mode, code):
    assert op.opcode(mnemonic, mode) == code
    assert op.opcode(mnemonic.lower(), mode) == code


def test_forms_that_do_not_exist():
    assert op.IMMEDIATE_M not in op.modes_of("STA")  # no immediate on a store
    assert op.DIRECT_Y not in op.modes_of("LDA")
    assert op.LONG_X not in op.modes_of("LDX")
    assert op.ABSOLUTE_X not in op.modes_of("STX")
    assert op.modes_of("NOPE") == frozenset()
    assert op.modes_of("BNE") == {op.RELATIVE}


@pytest.mark.parametrize(("mode", "m16", "x16", "length"), [
    (op.IMPLIED, False, False, 1), (op.IMMEDIATE_M, False, False, 2), (op.IMMEDIATE_M, True, False, 3),
    (op.IMMEDIATE_X, False, True, 3), (op.IMMEDIATE_X, True, False, 2), (op.IMMEDIATE_8, True, True, 2),
    (op.DIRECT_INDIRECT_LONG_Y, False, False, 2), (op.ABSOLUTE_X, False, False, 3),
    (op.LONG_X, False, False, 4), (op.BLOCK_MOVE, False, False, 3), (op.RELATIVE, False, False, 2),
    (op.RELATIVE_LONG, False, False, 3), (op.ABSOLUTE_INDIRECT_LONG, False, False, 3),
])
def test_encoding_lengths(mode, m16, x16, length):
    assert op.encoding_length(mode, m16=m16, x16=x16) == length


def test_width_classes():
    assert op.M_WIDTH == {"ORA", "AND", "EOR", "ADC", "LDA", "CMP", "SBC", "BIT"}
    assert op.X_WIDTH == {"CPX", "CPY", "LDX", "LDY"}
