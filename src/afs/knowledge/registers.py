"""The SNES hardware registers as a built-in table: PPU, APU ports, WRAM port, CPU (from
`data/snes_registers.csv`) and the DMA registers of channels 0-7 (generated: one pattern per
channel, written once here)."""

from __future__ import annotations

from afs.knowledge.entries import AddressEntry

REGISTERS_TABLE = "snes_registers"
DMA_CHANNELS = 8

# $43x0-$43xA: (offset, name with {n} for the channel, description)
_DMA_PATTERN = (
    (0x0, "DMAP{n}", "DMA/HDMA control: direction, indirect mode, address step and transfer pattern"),
    (0x1, "BBAD{n}", "DMA/HDMA B-bus address: the PPU register ($21xx) to read or write"),
    (0x2, "A1T{n}L", "DMA source address / HDMA table address (low byte)"),
    (0x3, "A1T{n}H", "DMA source address / HDMA table address (high byte)"),
    (0x4, "A1B{n}", "DMA source address / HDMA table address (bank)"),
    (0x5, "DAS{n}L", "DMA byte count (low byte) / indirect HDMA address (low byte)"),
    (0x6, "DAS{n}H", "DMA byte count (high byte) / indirect HDMA address (high byte)"),
    (0x7, "DASB{n}", "Indirect HDMA address (bank)"),
    (0x8, "A2A{n}L", "HDMA current table address (low byte)"),
    (0x9, "A2A{n}H", "HDMA current table address (high byte)"),
    (0xA, "NTRL{n}", "HDMA line counter"),
)


def dma_registers() -> list[AddressEntry]:
    """The 88 DMA registers $4300-$437A (11 per channel)."""
    return [
        AddressEntry(address=0x4300 + 0x10 * channel + offset, name=name.format(n=channel),
                     description=f"{description} for DMA channel {channel}", category="dma",
                     access="rw", source=REGISTERS_TABLE)
        for channel in range(DMA_CHANNELS)
        for offset, name, description in _DMA_PATTERN
    ]
