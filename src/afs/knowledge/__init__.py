"""Knowledge base: named SNES / ALTTP addresses and entity extraction from 65816 code.

`AddressDatabase` holds named addresses (a built-in ALTTP RAM table, the SNES hardware
registers, users' symbol / CSV / JSON files), answers queries by name, address and range, and
exports question/answer training samples. `extract_entities` lists the addresses a piece of
code touches and how many of them the database knows.
"""

from afs.knowledge.database import AddressDatabase, UncoveredAddressError, UnknownAddressError
from afs.knowledge.entities import NO_ENTITIES_COVERAGE, Entity, EntityReport, extract_entities
from afs.knowledge.entries import AddressEntry, parse_number
from afs.knowledge.loaders import load_csv, load_entries, load_json, load_symbols

__all__ = [
    "NO_ENTITIES_COVERAGE",
    "AddressDatabase",
    "AddressEntry",
    "Entity",
    "EntityReport",
    "UncoveredAddressError",
    "UnknownAddressError",
    "extract_entities",
    "load_csv",
    "load_entries",
    "load_json",
    "load_symbols",
    "parse_number",
]
