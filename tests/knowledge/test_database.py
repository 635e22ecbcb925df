"""AddressDatabase: the built-in tables, queries by name / address / range, overrides."""

from __future__ import annotations

import pytest

from afs.errors import AfsError
from afs.knowledge import (
    AddressDatabase,
    AddressEntry,
    UncoveredAddressError,
    UnknownAddressError,
)
from afs.knowledge.database import register_entries


@pytest.fixture(scope="module")
def db():
    return AddressDatabase()


@pytest.mark.parametrize(("name", "address", "size"), [
    ("main_module", 0x7E0010, 1), ("submodule", 0x7E0011, 1), ("frame_counter", 0x7E001A, 1),
    ("indoors_flag", 0x7E001B, 1), ("player_y", 0x7E0020, 2), ("player_x", 0x7E0022, 2),
    ("player_direction", 0x7E002F, 1), ("player_state", 0x7E005D, 1),
    ("overworld_area", 0x7E008A, 2), ("room_id", 0x7E00A0, 2), ("sprite_y_lo", 0x7E0D00, 16),
    ("sprite_state", 0x7E0DD0, 16), ("sprite_type", 0x7E0E20, 16), ("item_bow", 0x7EF340, 1),
    ("rupees", 0x7EF360, 2), ("player_max_health", 0x7EF36C, 1), ("player_health", 0x7EF36D, 1),
    ("player_magic", 0x7EF36E, 1),
])
def test_builtin_table_has_the_well_known_addresses(db, name, address, size):
    entry = db.query_address(name)
    assert (entry.address, entry.size, entry.bank) == (address, size, address >> 16)
    assert entry.description and entry.source == "alttp_ram"


def test_builtin_table_is_sane():
    entries = list(AddressDatabase(registers=False))
    assert 60 <= len(entries) <= 150
    assert all(e.bank in (0x7E, 0x7F) and e.access in ("r", "w", "rw") for e in entries)
    overlapping = [(a.name, b.name) for a, b in zip(entries, entries[1:]) if b.address < a.end]
    assert overlapping == []


def test_query_is_case_insensitive_and_spec_example_works(db):
    player_health = db.query_address("PLAYER_Health")
    assert f"${player_health.address:06X} - {player_health.description}".startswith(
        "$7EF36D - Link's current health")


def test_unknown_name_raises_a_key_error_listing_close_matches(db):
    with pytest.raises(UnknownAddressError) as caught:
        db.query_address("player_helth")
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, AfsError)
    assert "player_health" in caught.value.suggestions
    assert str(caught.value).startswith("unknown address name 'player_helth'; did you mean ")
    assert db.get("player_helth") is None


def test_lookup_finds_an_address_inside_a_multibyte_entry(db):
    assert db.lookup(0x7EF361).name == "rupees"
    assert db.at(0x7EF360).name == "rupees"
    assert db.lookup(0x7E0E2F).name == "sprite_type"  # slot 15
    assert db.lookup(0x7E0E30) is None or db.lookup(0x7E0E30).name != "sprite_type"
    assert db.lookup("$7E0023").name == "player_x"
    assert db.lookup(0x7E0001) is None


def test_lookup_folds_mirrors_of_low_ram(db):
    assert db.lookup(0x000020).name == "player_y"  # $00:0020 is $7E:0020
    assert db.lookup(0x800D00).name == "sprite_y_lo"
    assert db.lookup(0x7F0020) is None  # bank $7F is not a mirror


def test_lookup_prefers_the_entry_starting_there_then_the_narrowest():
    db = AddressDatabase(builtin=False)
    db.add(AddressEntry(0x7E1000, "block", size=0x100))
    db.add(AddressEntry(0x7E1010, "field", size=2))
    assert db.lookup(0x7E1011).name == "field"
    assert db.lookup(0x7E1010).name == "field"
    assert db.lookup(0x7E1012).name == "block"
    db.add(AddressEntry(0x7E1010, "same_span", size=2))
    assert db.lookup(0x7E1011).name == "same_span"  # equal entries: the latest added wins


def test_query_range_returns_overlapping_entries_sorted(db):
    names = [e.name for e in db.query_range(0x7E0021, 0x7E0024)]
    assert names == ["player_y", "player_x"]  # player_y ($20-$21) overlaps $21
    spec = db.query_range(0x7E0000, 0x7E1000)
    assert spec and all(0x7E0000 <= e.address < 0x7E1000 for e in spec)
    assert [e.address for e in spec] == sorted(e.address for e in spec)
    assert db.query_range("$7EF36C", "0x7EF36E") == [db.get("player_max_health"),
                                                      db.get("player_health")]


def test_later_entries_override_earlier_ones_by_name():
    db = AddressDatabase()
    db.add(AddressEntry(0x7E0F00, "Player_Health", "moved by a hack"))
    assert len(db) == len(AddressDatabase())
    assert db.query_address("player_health").address == 0x7E0F00
    assert db.lookup(0x7EF36D) is None


def test_container_protocol(db):
    assert "player_health" in db and "PLAYER_HEALTH" in db and "nope" not in db
    assert 0x7EF361 in db and 0x7E0001 not in db
    assert db.get("rupees") in db
    assert len(list(db)) == len(db)


def test_entry_validation_and_derived_bank():
    entry = AddressEntry(0x7EF360, "rupees", size=2)
    assert entry.bank == 0x7E and entry.span == "$7EF360-$7EF361" and entry.contains(0x7EF361)
    for bad in ({"address": -1}, {"address": 0x1000000}, {"size": 0}, {"access": "x"}, {"name": ""}):
        with pytest.raises(ValueError):
            AddressEntry(**{"address": 0x7E0000, "name": "n", **bad})


def test_hardware_registers_table():
    registers = AddressDatabase.hardware()
    assert len(registers) == 104 + 8 * 11
    expected = {"INIDISP": 0x2100, "OBSEL": 0x2101, "STAT78": 0x213F, "APUIO0": 0x2140,
                "APUIO3": 0x2143, "WMDATA": 0x2180, "WMADDH": 0x2183, "NMITIMEN": 0x4200,
                "MDMAEN": 0x420B, "HDMAEN": 0x420C, "JOY4H": 0x421F, "DMAP0": 0x4300,
                "BBAD1": 0x4311, "A1T2L": 0x4322, "A1B3": 0x4334, "DASB7": 0x4377, "NTRL7": 0x437A}
    assert {name: registers.query_address(name).address for name in expected} == expected
    assert registers.query_address("RDNMI").access == "r"
    assert registers.query_address("INIDISP").access == "w"
    assert len({e.address for e in register_entries()}) == len(register_entries())
    assert "player_health" not in registers
    assert AddressDatabase(registers=True).lookup(0x802100).name == "INIDISP"


def test_query_address_takes_an_int_or_address_text(db):
    assert db.query_address(0x7E0010).name == "main_module"
    assert db.query_address(0x7EF361).name == "rupees"  # the entry holding that byte
    assert db.query_address("$7E0010") == db.query_address("0x7E0010") == db.get("main_module")
    assert db.query_address(0x000020).name == "player_y"  # a mirror of $7E0020
    with pytest.raises(UncoveredAddressError, match=r"^no entry covers the address \$7E0001$"):
        db.query_address(0x7E0001)
    with pytest.raises(KeyError):  # still a KeyError, as an unknown name is
        db.query_address("$7E0001")


def test_default_database_holds_the_snes_registers_as_the_cli_does(db):
    assert db.query_address("INIDISP").address == 0x2100
    assert db.query_address(0x420B).name == "MDMAEN"
    assert len(db) == len(AddressDatabase(registers=False)) + len(AddressDatabase.hardware())
