"""Where an operand really points on the SNES (LoROM/HiROM memory map, ALTTP conventions).

Canonical forms: work RAM as `$7E0000-$7FFFFF`; hardware registers as their 16-bit address
(`$2100`, `$420B`, `$4300`), since every bank that maps them maps them at the same place.
"""

from __future__ import annotations

LOW_RAM_END = 0x2000  # $0000-$1FFF of banks $00-$3F/$80-$BF mirror $7E0000-$7E1FFF
WRAM_BANKS = (0x7E, 0x7F)
# (first, last) of the I/O windows: PPU/APU/WRAM port, old joypad ports, CPU and DMA
REGISTER_WINDOWS = ((0x2100, 0x21FF), (0x4016, 0x4017), (0x4200, 0x43FF))


def is_register(address: int) -> bool:
    """True for a 16-bit address in one of the hardware register windows."""
    return any(first <= address <= last for first, last in REGISTER_WINDOWS)


def is_system_bank(bank: int) -> bool:
    """Banks $00-$3F and $80-$BF map low RAM and the registers at the bottom of the bank."""
    return bank <= 0x3F or 0x80 <= bank <= 0xBF


def is_rom(address: int) -> bool:
    """True for an address in cartridge ROM as LoROM and HiROM map it: the upper half of a
    system bank (bank $00 included: `$8781` is `$008781`), or banks $40-$7D and $C0-$FF (a
    code or data label, not a variable)."""
    bank = address >> 16
    if bank in WRAM_BANKS:
        return False
    return address & 0xFFFF >= 0x8000 or not is_system_bank(bank)


def canonical_long(address: int) -> int:
    """A 24-bit address with mirrors folded: `$00:0020` -> `$7E0020`, `$80:2100` -> `$2100`."""
    bank, offset = address >> 16, address & 0xFFFF
    if not is_system_bank(bank):
        return address
    if offset < LOW_RAM_END:
        return 0x7E0000 | offset
    return offset if is_register(offset) else address


def resolve_operand(value: int, width: int) -> int | None:
    """The canonical address an operand of ``width`` bytes names, or None when it depends on
    the data bank register (an absolute address outside low RAM and the registers).

    1 byte: direct page, taken as D=0 -> `$7E00xx`. 2 bytes: low RAM mirror or register, else
    bank-relative. 3 bytes: long, mirrors folded by ``canonical_long``.
    """
    if width <= 1 and value <= 0xFF:
        return 0x7E0000 | value
    if width == 2 or (width <= 1 and value <= 0xFFFF):
        if value < LOW_RAM_END:
            return 0x7E0000 | value
        return value if is_register(value) else None
    return canonical_long(value & 0xFFFFFF)
