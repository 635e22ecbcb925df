"""The 65816 instruction set as data: every mnemonic, the addressing modes it accepts, the
opcode byte of each (mnemonic, mode) and the byte length of each encoding.

The table is built from the regular structure of the opcode matrix (the eight ALU mnemonics
share one layout, the four shifts another), so each fact is written once; a test checks that
the 256 opcode bytes come out assigned exactly once.
"""

from __future__ import annotations

from types import MappingProxyType

# Addressing modes. Operand shapes in asar syntax are in the comments.
IMPLIED = "implied"                  # RTS
ACCUMULATOR = "accumulator"          # ASL / ASL A
IMMEDIATE_M = "immediate_m"          # LDA #$12 / #$1234: width follows the M flag
IMMEDIATE_X = "immediate_x"          # LDX #$12 / #$1234: width follows the X flag
IMMEDIATE_8 = "immediate_8"          # REP #$30, SEP, COP, BRK, WDM: always one byte
DIRECT = "direct"                    # $12
DIRECT_X = "direct_x"                # $12,X
DIRECT_Y = "direct_y"                # $12,Y
DIRECT_INDIRECT = "direct_indirect"  # ($12)
DIRECT_INDIRECT_LONG = "direct_indirect_long"      # [$12]
DIRECT_X_INDIRECT = "direct_x_indirect"            # ($12,X)
DIRECT_INDIRECT_Y = "direct_indirect_y"            # ($12),Y
DIRECT_INDIRECT_LONG_Y = "direct_indirect_long_y"  # [$12],Y
ABSOLUTE = "absolute"                # $1234
ABSOLUTE_X = "absolute_x"            # $1234,X
ABSOLUTE_Y = "absolute_y"            # $1234,Y
LONG = "long"                        # $7E1234
LONG_X = "long_x"                    # $7E1234,X
ABSOLUTE_INDIRECT = "absolute_indirect"            # ($1234)
ABSOLUTE_X_INDIRECT = "absolute_x_indirect"        # ($1234,X)
ABSOLUTE_INDIRECT_LONG = "absolute_indirect_long"  # [$1234]
STACK_RELATIVE = "stack_relative"                  # $12,S
STACK_RELATIVE_INDIRECT_Y = "stack_relative_indirect_y"  # ($12,S),Y
RELATIVE = "relative"                # BNE label: signed 8-bit offset
RELATIVE_LONG = "relative_long"      # BRL label, PER label: signed 16-bit offset
BLOCK_MOVE = "block_move"            # MVN $7E,$7F: asar writes the banks in byte order

# Operand bytes after the opcode; immediates that follow M or X are given for 8-bit width.
OPERAND_BYTES = MappingProxyType({
    IMPLIED: 0, ACCUMULATOR: 0, IMMEDIATE_M: 1, IMMEDIATE_X: 1, IMMEDIATE_8: 1,
    DIRECT: 1, DIRECT_X: 1, DIRECT_Y: 1, DIRECT_INDIRECT: 1, DIRECT_INDIRECT_LONG: 1,
    DIRECT_X_INDIRECT: 1, DIRECT_INDIRECT_Y: 1, DIRECT_INDIRECT_LONG_Y: 1,
    ABSOLUTE: 2, ABSOLUTE_X: 2, ABSOLUTE_Y: 2, LONG: 3, LONG_X: 3,
    ABSOLUTE_INDIRECT: 2, ABSOLUTE_X_INDIRECT: 2, ABSOLUTE_INDIRECT_LONG: 2,
    STACK_RELATIVE: 1, STACK_RELATIVE_INDIRECT_Y: 1, RELATIVE: 1, RELATIVE_LONG: 2,
    BLOCK_MOVE: 2,
})
MODES = tuple(OPERAND_BYTES)

# ORA AND EOR ADC STA LDA CMP SBC: base opcode + offset per mode (STA has no immediate).
_ALU_BASES = {"ORA": 0x00, "AND": 0x20, "EOR": 0x40, "ADC": 0x60,
              "STA": 0x80, "LDA": 0xA0, "CMP": 0xC0, "SBC": 0xE0}
_ALU_OFFSETS = {
    DIRECT_X_INDIRECT: 0x01, STACK_RELATIVE: 0x03, DIRECT: 0x05, DIRECT_INDIRECT_LONG: 0x07,
    IMMEDIATE_M: 0x09, ABSOLUTE: 0x0D, LONG: 0x0F, DIRECT_INDIRECT_Y: 0x11,
    DIRECT_INDIRECT: 0x12, STACK_RELATIVE_INDIRECT_Y: 0x13, DIRECT_X: 0x15,
    DIRECT_INDIRECT_LONG_Y: 0x17, ABSOLUTE_Y: 0x19, ABSOLUTE_X: 0x1D, LONG_X: 0x1F,
}
# ASL ROL LSR ROR
_SHIFT_BASES = {"ASL": 0x00, "ROL": 0x20, "LSR": 0x40, "ROR": 0x60}
_SHIFT_OFFSETS = {DIRECT: 0x06, ACCUMULATOR: 0x0A, ABSOLUTE: 0x0E, DIRECT_X: 0x16,
                  ABSOLUTE_X: 0x1E}

_OTHERS: dict[str, dict[str, int]] = {
    "INC": {ACCUMULATOR: 0x1A, DIRECT: 0xE6, ABSOLUTE: 0xEE, DIRECT_X: 0xF6, ABSOLUTE_X: 0xFE},
    "DEC": {ACCUMULATOR: 0x3A, DIRECT: 0xC6, ABSOLUTE: 0xCE, DIRECT_X: 0xD6, ABSOLUTE_X: 0xDE},
    "BIT": {IMMEDIATE_M: 0x89, DIRECT: 0x24, ABSOLUTE: 0x2C, DIRECT_X: 0x34, ABSOLUTE_X: 0x3C},
    "CPX": {IMMEDIATE_X: 0xE0, DIRECT: 0xE4, ABSOLUTE: 0xEC},
    "CPY": {IMMEDIATE_X: 0xC0, DIRECT: 0xC4, ABSOLUTE: 0xCC},
    "LDX": {IMMEDIATE_X: 0xA2, DIRECT: 0xA6, ABSOLUTE: 0xAE, DIRECT_Y: 0xB6, ABSOLUTE_Y: 0xBE},
    "LDY": {IMMEDIATE_X: 0xA0, DIRECT: 0xA4, ABSOLUTE: 0xAC, DIRECT_X: 0xB4, ABSOLUTE_X: 0xBC},
    "STX": {DIRECT: 0x86, ABSOLUTE: 0x8E, DIRECT_Y: 0x96},
    "STY": {DIRECT: 0x84, ABSOLUTE: 0x8C, DIRECT_X: 0x94},
    "STZ": {DIRECT: 0x64, DIRECT_X: 0x74, ABSOLUTE: 0x9C, ABSOLUTE_X: 0x9E},
    "TSB": {DIRECT: 0x04, ABSOLUTE: 0x0C},
    "TRB": {DIRECT: 0x14, ABSOLUTE: 0x1C},
    "JMP": {ABSOLUTE: 0x4C, ABSOLUTE_INDIRECT: 0x6C, ABSOLUTE_X_INDIRECT: 0x7C,
            LONG: 0x5C, ABSOLUTE_INDIRECT_LONG: 0xDC},
    "JML": {LONG: 0x5C, ABSOLUTE_INDIRECT_LONG: 0xDC},
    "JSR": {ABSOLUTE: 0x20, ABSOLUTE_X_INDIRECT: 0xFC},
    "JSL": {LONG: 0x22},
    "BRL": {RELATIVE_LONG: 0x82},
    "PER": {RELATIVE_LONG: 0x62},
    "PEA": {ABSOLUTE: 0xF4},
    "PEI": {DIRECT_INDIRECT: 0xD4},
    "MVP": {BLOCK_MOVE: 0x44},
    "MVN": {BLOCK_MOVE: 0x54},
    "REP": {IMMEDIATE_8: 0xC2},
    "SEP": {IMMEDIATE_8: 0xE2},
    "BRK": {IMMEDIATE_8: 0x00},
    "COP": {IMMEDIATE_8: 0x02},
    "WDM": {IMMEDIATE_8: 0x42},
}
_BRANCHES = {"BPL": 0x10, "BMI": 0x30, "BVC": 0x50, "BVS": 0x70, "BRA": 0x80,
             "BCC": 0x90, "BCS": 0xB0, "BNE": 0xD0, "BEQ": 0xF0}
_IMPLIED = {
    "PHP": 0x08, "PHD": 0x0B, "CLC": 0x18, "TCS": 0x1B, "PLP": 0x28, "PLD": 0x2B,
    "SEC": 0x38, "TSC": 0x3B, "RTI": 0x40, "PHA": 0x48, "PHK": 0x4B, "CLI": 0x58,
    "PHY": 0x5A, "TCD": 0x5B, "RTS": 0x60, "PLA": 0x68, "RTL": 0x6B, "SEI": 0x78,
    "PLY": 0x7A, "TDC": 0x7B, "DEY": 0x88, "TXA": 0x8A, "PHB": 0x8B, "TYA": 0x98,
    "TXS": 0x9A, "TXY": 0x9B, "TAY": 0xA8, "TAX": 0xAA, "PLB": 0xAB, "CLV": 0xB8,
    "TSX": 0xBA, "TYX": 0xBB, "INY": 0xC8, "DEX": 0xCA, "WAI": 0xCB, "CLD": 0xD8,
    "PHX": 0xDA, "STP": 0xDB, "INX": 0xE8, "NOP": 0xEA, "XBA": 0xEB, "SED": 0xF8,
    "PLX": 0xFA, "XCE": 0xFB,
}
# Forms that are another mnemonic's opcode under a second name (JMP long is JML).
ALIASES = frozenset({("JMP", LONG), ("JMP", ABSOLUTE_INDIRECT_LONG)})
# asar assembles these as two bytes; the signature byte may be left out and defaults to 0.
OPTIONAL_SIGNATURE = frozenset({"BRK", "COP", "WDM"})


def _build_table() -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for mnemonic, base in _ALU_BASES.items():
        table[mnemonic] = {mode: base + offset for mode, offset in _ALU_OFFSETS.items()
                           if not (mnemonic == "STA" and mode == IMMEDIATE_M)}
    for mnemonic, base in _SHIFT_BASES.items():
        table[mnemonic] = {mode: base + offset for mode, offset in _SHIFT_OFFSETS.items()}
    table.update({m: dict(modes) for m, modes in _OTHERS.items()})
    table.update({m: {RELATIVE: opcode} for m, opcode in _BRANCHES.items()})
    table.update({m: {IMPLIED: opcode} for m, opcode in _IMPLIED.items()})
    return table


OPCODES: MappingProxyType = MappingProxyType(
    {m: MappingProxyType(modes) for m, modes in sorted(_build_table().items())})
MNEMONICS = frozenset(OPCODES)
# Mnemonics whose immediate width follows the M flag or the X flag (16-bit when cleared).
M_WIDTH = frozenset(m for m, modes in OPCODES.items() if IMMEDIATE_M in modes)
X_WIDTH = frozenset(m for m, modes in OPCODES.items() if IMMEDIATE_X in modes)
STORES = frozenset({"STA", "STX", "STY", "STZ"})
BRANCHES = frozenset(_BRANCHES)


def modes_of(mnemonic: str) -> frozenset[str]:
    """Addressing modes a mnemonic accepts (case-insensitive); empty if it is not one."""
    return frozenset(OPCODES.get(mnemonic.upper(), ()))


def opcode(mnemonic: str, mode: str) -> int:
    """The opcode byte of ``mnemonic`` in ``mode``; KeyError if it has no such form."""
    return OPCODES[mnemonic.upper()][mode]


def encoding_length(mode: str, m16: bool = False, x16: bool = False) -> int:
    """Bytes of an instruction in ``mode``: opcode plus operand. ``m16``/``x16`` say whether
    the accumulator/index registers are 16-bit (after REP #$20 / REP #$10)."""
    length = 1 + OPERAND_BYTES[mode]
    if (mode == IMMEDIATE_M and m16) or (mode == IMMEDIATE_X and x16):
        length += 1
    return length
