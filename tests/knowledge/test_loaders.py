"""Loaders for users' address files: asar symbol files, CSV, JSON; errors name file:line."""

from __future__ import annotations

import pytest

from afs.errors import DataError
from afs.knowledge import AddressDatabase, load_entries, load_symbols

SYMBOLS = """\
; Oracle of Secrets RAM
; (hand-written)

; Link's swim state,
; set in water
SwimState = $7E0345

Link_X = $7E0022 ; Link's X coordinate
!Flag_Menu = $7EF3D6 ; menu flag
Link_X_Hi = Link_X+1
!Text = "not an address"
    LDA $10 : STA $11
macro foo()
endmacro
7F:1234 WlaLabel
!Speed = -1
"""


def by_name(entries):
    return {e.name: e for e in entries}


def test_symbol_file_reads_assignments_defines_and_comments(write_file):
    entries = by_name(load_symbols(write_file("oracle.sym", SYMBOLS)))
    assert set(entries) == {"SwimState", "Link_X", "Flag_Menu", "Link_X_Hi", "WlaLabel"}
    assert entries["SwimState"].address == 0x7E0345
    assert entries["SwimState"].description == "Link's swim state, set in water"
    assert entries["Link_X"].description == "Link's X coordinate"
    assert entries["Flag_Menu"].address == 0x7EF3D6 and entries["Flag_Menu"].description == "menu flag"
    assert entries["Link_X_Hi"].address == 0x7E0023  # an expression over an earlier symbol
    assert entries["Link_X_Hi"].description == ""  # a blank line ended the comment block
    assert entries["WlaLabel"].address == 0x7F1234
    assert {e.source for e in entries.values()} == {"oracle"}


def test_symbol_file_reports_a_malformed_number_with_file_and_line(write_file):
    path = write_file("bad.asm", "Good = $7E0010\n\nBroken = $7E00G0 ; oops\n")
    with pytest.raises(DataError) as caught:
        load_symbols(path)
    assert (caught.value.path, caught.value.line) == (str(path), 3)
    assert str(caught.value).startswith(f"{path}:3: Broken: malformed number")


CSV = """\
address,name,description,size,category,access
$7E0345,swim_state,"Swim state, 0 = dry",1,player,rw
0x7E0D00,sprite_table,Sprite table,$10,sprite,r
8257568,decimal_address,,2,,
"""


def test_csv_accepts_dollar_0x_and_decimal_addresses(write_file):
    entries = by_name(load_entries(write_file("ram.csv", CSV)))
    assert entries["swim_state"].description == "Swim state, 0 = dry"
    assert (entries["sprite_table"].address, entries["sprite_table"].size) == (0x7E0D00, 16)
    assert entries["sprite_table"].access == "r"
    assert (entries["decimal_address"].address, entries["decimal_address"].access) == (0x7E0020, "rw")


def test_json_reads_objects_with_int_or_text_addresses(write_file):
    path = write_file("ram.json", '[\n {"address": "$7E0345", "name": "swim"},\n'
                                  ' {"address": 8257568, "name": "y", "size": 2}\n]\n')
    entries = by_name(load_entries(path))
    assert entries["swim"].address == 0x7E0345 and entries["y"].size == 2


@pytest.mark.parametrize(("name", "text", "line", "problem"), [
    ("bad.csv", "address,name\n$7E0010,ok\n$7E00ZZ,bad\n", 3, "malformed address '$7E00ZZ'"),
    ("bad.csv", "address,name\n$7E0010,\n", 2, "missing name"),
    ("bad.csv", "address,name,size\n$7E0010,n,0\n", 2, "size must be a positive number"),
    ("bad.csv", "address,name,access\n$7E0010,n,x\n", 2, "access must be one of r, w, rw"),
    ("bad.csv", "address,name,description\n$7E0010,n,a,b\n", 2, "4 cells for 3 columns"),
    ("bad.csv", "name,description\nn,d\n", 1, "lacks the column(s) address"),
    ("bad.csv", "address,name\n$1000000,huge\n", 2, "address must be an int in $000000-$FFFFFF"),
    ("bad.json", '[\n {"address": "$7E0010", "name": "a"},\n {"address": "0xZZ", "name": "b"}\n]', 3,
     "malformed address '0xZZ'"),
    ("bad.json", '[\n {"address": "$7E0010", "name": "a"},\n\n 42\n]', 4, "expected an object, got int"),
    ("bad.json", '[\n {"address": "$7E0010" "name": "a"}\n]', 2, "malformed JSON"),
    ("bad.json", '{"address": "$7E0010"}', 1, "expected a JSON array"),
    ("bad.json", '[{"name": "a"}]', 1, "missing address"),
])
def test_bad_input_errors_name_file_line_and_problem(write_file, name, text, line, problem):
    path = write_file(name, text)
    with pytest.raises(DataError) as caught:
        load_entries(path)
    assert (caught.value.path, caught.value.line) == (str(path), line)
    assert problem in str(caught.value)


def test_from_file_picks_the_loader_by_suffix_and_files_combine(write_file):
    symbols = write_file("oracle.asm", SYMBOLS)
    table = write_file("ram.csv", CSV)
    assert "swim_state" in AddressDatabase.from_file(table)
    assert len(AddressDatabase.from_file(symbols)) == 5
    combined = AddressDatabase(paths=[symbols, table])
    assert "player_health" in combined and "SwimState" in combined and "swim_state" in combined
    # Link_X from the symbol file replaces nothing (different name) but covers $7E0022 too
    assert combined.query_address("link_x").address == combined.query_address("player_x").address


def test_unknown_suffix_and_missing_file_are_data_errors(write_file, tmp_path):
    with pytest.raises(DataError, match="unknown address file type '.xml'"):
        load_entries(write_file("ram.xml", "<x/>"))
    with pytest.raises(DataError, match="no such file"):
        load_entries(tmp_path / "missing.csv")
