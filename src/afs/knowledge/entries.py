"""`AddressEntry`: one named address (RAM variable, table or hardware register), and the
parsing of the address notations users write (`$7E0020`, `0x7E0020`, `7E:0020`, plain ints).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ACCESS_MODES = ("r", "w", "rw")
MAX_ADDRESS = 0xFFFFFF  # the 65816 has a 24-bit address space

_HEX = re.compile(r"(?:\$|0[xX])([0-9A-Fa-f]+)")
_BANKED = re.compile(r"\$?([0-9A-Fa-f]{2}):([0-9A-Fa-f]{4})")  # $7E:0020, as debuggers show it


def parse_number(value: object, what: str = "address") -> int:
    """An int from `$7E0020`, `0x7E0020`, `7E:0020`, a decimal string or an int.

    Raises ValueError saying what was wrong (callers add the file and line).
    """
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number, got {value!r}")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    match = _HEX.fullmatch(text) or _BANKED.fullmatch(text)
    if match and match.re is _BANKED:
        return int(match.group(1) + match.group(2), 16)
    if match:
        return int(match.group(1), 16)
    if text.isdigit():
        return int(text)
    raise ValueError(f"malformed {what} {text!r} (write $7E0020, 0x7E0020 or a decimal number)")


def format_address(address: int) -> str:
    """`$7E0020` for a 24-bit address, `$2100` for a register in the 16-bit I/O window."""
    return f"${address:04X}" if address <= 0xFFFF else f"${address:06X}"


@dataclass(frozen=True)
class AddressEntry:
    """A named address: ``size`` bytes starting at ``address`` (``bank`` is derived).

    ``size_known`` says whether ``size`` was measured (a table's size column, a `skip`/`db`
    layout, a struct field); a symbol file gives only the start, so its entries cover one byte
    for lookups but their width is not stated as a fact."""

    address: int
    name: str
    description: str = ""
    size: int = 1
    category: str = ""
    access: str = "rw"
    source: str = field(default="", compare=False)  # the table or file it came from
    size_known: bool = field(default=True, compare=False)
    bank: int = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.address, int) or not 0 <= self.address <= MAX_ADDRESS:
            raise ValueError(f"address must be an int in $000000-$FFFFFF, got {self.address!r}")
        if not self.name or not isinstance(self.name, str):
            raise ValueError("name must be a non-empty string")
        if not isinstance(self.size, int) or self.size < 1:
            raise ValueError(f"size must be a positive number of bytes, got {self.size!r}")
        if self.access not in ACCESS_MODES:
            raise ValueError(f"access must be one of {', '.join(ACCESS_MODES)}, got {self.access!r}")
        object.__setattr__(self, "bank", self.address >> 16)

    @property
    def end(self) -> int:
        """One past the last byte."""
        return self.address + self.size

    def contains(self, address: int) -> bool:
        return self.address <= address < self.end

    @property
    def span(self) -> str:
        """`$7E0020` or `$7E0020-$7E0021` for multi-byte entries."""
        if self.size == 1:
            return format_address(self.address)
        return f"{format_address(self.address)}-{format_address(self.end - 1)}"
