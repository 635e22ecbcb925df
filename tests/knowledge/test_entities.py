"""Entity extraction: operands resolved with the SNES memory map, and coverage."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afs.asm.source import statements
from afs.knowledge import NO_ENTITIES_COVERAGE, AddressDatabase, AddressEntry, extract_entities


def names(report):
    return [e.name for e in report.known], [e.text for e in report.unknown]


@pytest.mark.parametrize(("operand", "name"), [
    ("$10", "main_module"),            # direct page, D=0
    ("$0010", "main_module"),          # low-RAM mirror
    ("$7E0010", "main_module"),        # long, WRAM bank
    ("$000010", "main_module"),        # long, bank $00 mirrors $7E0000-$7E1FFF
    ("$BF0E20", "sprite_type"),        # banks $80-$BF mirror too
    ("$0E20,X", "sprite_type"),        # indexed: the base counts
    ("$0E25,X", "sprite_type"),        # inside the 16-slot table
    ("$7EF361", "rupees"),             # inside a 2-byte entry
    ("$7EF360+1", "rupees"),           # asar math
    ("($00)", None), ("$2100", "INIDISP"), ("$802100", "INIDISP"), ("$420B", "MDMAEN"),
    ("$4372", "A1T7L"), ("$2140", "APUIO0"), ("$0D00, x", "sprite_y_lo"), ("[$20]", "player_y"),
])
def test_operands_resolve_by_the_bank_rules(operand, name):
    report = extract_entities(f"  LDA {operand}")
    if name is None:  # $00 is scratch RAM the built-in table does not name
        assert report.known == [] and report.unknown[0].address == 0x7E0000
    else:
        assert [e.name for e in report.known] == [name], report


def test_bank_relative_and_rom_addresses_are_unknown():
    report = extract_entities("LDA $8000\nLDA $7F2000\nLDA $0DBA71")
    assert report.known == []
    assert [(e.text, e.address) for e in report.unknown] == [
        ("$8000", None), ("$7F2000", 0x7F2000), ("$0DBA71", 0x0DBA71)]


def test_immediates_comments_data_and_code_targets_are_not_entities():
    code = """\
Main:
    LDA #$10            ; $7E0010 is only a comment
    REP #$30
    db $10, $7EF36D
    dw $0E20 : dl $7E0020
    BRA .loop
    JSL $0DBA71
    JSR Routine
    MVN $7E,$7F
    PEA $2100
    LDA $03,S           ; stack offset, not memory
    LDA ($03,S),Y
.loop:
    RTS
"""
    report = extract_entities(code)
    assert report.total == 0 and report.coverage == NO_ENTITIES_COVERAGE


def test_statements_labels_and_quotes():
    code = 'Start: LDA $10 : STA $11 ; STA $12\n.next: LDA $1B\n- LDA $A0\ndb "x: LDA $20"\n'
    report = extract_entities(code)
    assert names(report) == (["main_module", "submodule", "indoors_flag", "room_id"], [])
    assert [e.lines for e in report.known] == [(1,), (1,), (2,), (3,)]


def test_indirect_forms_resolve_their_pointer_address():
    db = AddressDatabase(builtin=False)
    db.add(AddressEntry(0x7E0008, "ptr", size=3))
    code = "LDA ($08),Y\nLDA [$08],Y\nLDA ($08,X)\nLDA [$08]\nJMP ($0008)\nJML [$0008]"
    report = extract_entities(code, db)
    assert [e.name for e in report.known] == ["ptr"] and report.known[0].lines == (1, 2, 3, 4, 5, 6)


def test_symbol_names_resolve_through_the_database_and_the_code():
    db = AddressDatabase()
    db.add(AddressEntry(0x7E0022, "Link_X", "Link's X coordinate", size=2))
    code = """\
!SwimFlag = $7E0345
Timer = $0DF0
    LDA Link_X
    LDA Link_X+1
    STA !SwimFlag
    LDA Timer,X
    STA INIDISP
    LDA Unknown_Label,X
    LDA .table,X
"""
    report = extract_entities(code, db)
    assert names(report) == (["Link_X", "sprite_timer", "INIDISP"], ["!SwimFlag", "Unknown_Label"])
    assert report.unknown[0].address == 0x7E0345 and report.unknown[1].address is None


def test_coverage_counts_each_entity_once():
    report = extract_entities("LDA $10\nLDA $7E0010\nLDA $10\nSTA $7E0001\nSTA $7E0002\nSTA $2100")
    assert names(report) == (["main_module", "INIDISP"], ["$7E0001", "$7E0002"])
    assert report.coverage == 0.5 and report.total == 4
    assert report.known[0].lines == (1, 2, 3)
    assert extract_entities("LDA $10").coverage == 1.0
    assert extract_entities("LDA $7E0001").coverage == 0.0


def test_malformed_code_gives_no_error_and_no_entity():
    report = extract_entities("LDA $G1\nSTA ($10\nthis is prose, not code\n!X = $ZZ\nLDA $10-$20\n")
    assert report.total == 0


_LINES = ["LDA $10", "STA $7E0012", "LDA $0E20, X", "Name = $7E0020", "LDA Name", "!F = $0DF0",
          "STA !F", "7E:0340 Wla", "LDA Wla", "LDA .table,X", "LDA #$10", "JSR Routine",
          "JMP ($0000)", "LDA $03,S", "Main: LDA $2100 : STA $4200", "db $10,", "  $20",
          "LDA \\", "  $0D00", "LDA $10 ; STA $11", "LDA $G1", "; only a comment", ""]


@given(st.lists(st.sampled_from(_LINES), max_size=16).map("\n".join))
def test_entities_of_shared_statements_are_those_of_the_code(code):
    db = AddressDatabase()
    shared = extract_entities(code, db, statements=statements(code))
    assert shared == extract_entities(code, db)
