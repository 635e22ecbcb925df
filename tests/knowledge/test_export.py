"""Training samples from the database: both directions, deterministic phrasing, JSONL."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from afs.knowledge import AddressDatabase, AddressEntry
from afs.knowledge.addressing import is_rom
from afs.knowledge.questions import address_sample, name_sample
from afs.samples import TrainingSample, load_jsonl, save_jsonl


def test_every_entry_gives_one_sample_each_way():
    db = AddressDatabase()
    samples = db.export_training_samples()
    assert len(samples) == 2 * len(db)
    assert all(isinstance(s, TrainingSample) for s in samples)
    directions = Counter((s._metadata["name"], s._metadata["direction"]) for s in samples)
    assert set(directions.values()) == {1}
    assert {d for _, d in directions} == {"name_to_address", "address_to_meaning"}
    assert {(s.domain, s.source) for s in samples} == {("knowledge", "knowledge:alttp_ram"),
                                                      ("knowledge", "knowledge:snes_registers")}
    assert len({s.sample_id for s in samples}) == len(samples)


def samples_for(db: AddressDatabase, name: str, seed: int = 0) -> dict[str, TrainingSample]:
    return {s._metadata["direction"]: s for s in db.export_training_samples(seed)
            if s._metadata["name"] == name}


def test_name_question_is_answered_with_the_address_and_meaning():
    pair = samples_for(AddressDatabase(), "player_health")
    to_address, to_meaning = pair["name_to_address"], pair["address_to_meaning"]
    assert "`player_health`" in to_address.instruction and "$7EF36D" not in to_address.instruction
    assert "$7EF36D" in to_address.output and "Link's current health" in to_address.output
    assert "$7EF36D" in to_meaning.instruction
    assert "`player_health`" in to_meaning.output and "player_health" not in to_meaning.instruction


def test_multibyte_and_table_entries_say_their_width_and_usual_operand():
    db = AddressDatabase()
    rupees = samples_for(db, "rupees")["name_to_address"].output
    assert "$7EF360-$7EF361" in rupees or "16-bit" in rupees
    sprite = samples_for(db, "sprite_type")["name_to_address"].output
    assert "16-byte table" in sprite and "`LDA $0E20,X`" in sprite
    link_y = samples_for(db, "player_y")["name_to_address"].output
    assert "`$20`" in link_y  # direct page form


def test_phrasing_is_deterministic_and_varies_with_the_seed():
    db = AddressDatabase()
    first = [s.to_dict() for s in db.export_training_samples(seed=7)]
    assert first == [s.to_dict() for s in AddressDatabase().export_training_samples(seed=7)]
    other = [s.instruction for s in db.export_training_samples(seed=8)]
    assert other != [s["instruction"] for s in first]
    templates = {s["instruction"].split("`")[0].split("$")[0] for s in first}
    assert len(templates) >= 6  # several phrasings, not one canned question


def test_registers_and_user_entries_name_their_table():
    db = AddressDatabase(builtin=False, registers=True)
    db.add(AddressEntry(0x7E0345, "SwimState", "Link's swim state", source="oracle"))
    sources = Counter(s.source for s in db.export_training_samples())
    assert sources == {"knowledge:snes_registers": 2 * 192, "knowledge:oracle": 2}
    inidisp = samples_for(db, "INIDISP")["name_to_address"].output
    assert "$2100" in inidisp and "bank" not in inidisp


def test_samples_round_trip_through_jsonl(tmp_path):
    samples = AddressDatabase().export_training_samples()
    path = save_jsonl(samples, tmp_path / "knowledge.jsonl")
    loaded = list(load_jsonl(path))
    assert [s.to_dict() for s in loaded] == [s.to_dict() for s in samples]


# --- widths and kinds are stated only when known (issue 17 §4 "Wrong facts") -------------------

WIDTH = re.compile(r"It is (one byte|a 16-bit value|a \d+-byte table)")


def test_a_symbol_file_gives_addresses_not_widths(write_file):
    """A symbol file names where a value starts, not how wide it is: its samples state no
    width (they used to say "It is one byte" of every symbol, 16-bit words included)."""
    path = write_file("ram.asm", "RoomFlags = $7EF4A0 ; 16-bit room flags\n")
    db = AddressDatabase.from_file(path)
    assert db.get("RoomFlags").size_known is False
    for sample in db.export_training_samples():
        assert not WIDTH.search(sample.output), sample.output


def test_a_table_without_a_size_column_states_no_width(write_file):
    path = write_file("extra.csv", "address,name,description\n$7E0400,timer,wisp timer\n")
    sample = AddressDatabase.from_file(path).export_training_samples()[0]
    assert not WIDTH.search(sample.output)
    sized = write_file("sized.csv", "address,name,description,size\n$7E0400,timer,wisp timer,1\n")
    assert "It is one byte" in AddressDatabase.from_file(sized).export_training_samples()[0].output


@pytest.mark.parametrize(("address", "kind"), [
    (0x0DB080, "ROM label"), (0x008781, "ROM label"), (0x7E0400, "RAM variable"),
    (0x079B, "RAM variable"), (0x2100, "hardware register"), (0xC08000, "ROM label"),
])
def test_the_kind_of_an_address_follows_the_memory_map(address, kind):
    entry = AddressEntry(address, "Thing", "something", size_known=False, source="hack")
    questions = {name_sample(entry, seed).instruction for seed in range(40)}
    assert any(f"the {kind} `Thing`" in q for q in questions), questions
    assert is_rom(address) is (kind == "ROM label")


def test_a_rom_label_is_not_asked_about_as_a_load():
    entry = AddressEntry(0x0DB080, "SpriteHarm", "damage table", size_known=False, source="hack")
    questions = {address_sample([entry], seed).instruction for seed in range(40)}
    assert not any("LDA" in q or "STA" in q for q in questions)


def test_an_address_with_several_names_gets_one_answer_naming_all():
    entries = [AddressEntry(0x210D, "BG1HOFS", "BG1 horizontal scroll", source="regs"),
               AddressEntry(0x210D, "M7HOFS", "Mode 7 horizontal scroll", source="regs")]
    sample = address_sample(entries, context=" according to `regs.asm`")
    assert sample.instruction.endswith(" according to `regs.asm`?") or \
        sample.instruction.endswith(" according to `regs.asm`.")
    assert sample.output.startswith("$210D has 2 names, `BG1HOFS` and `M7HOFS`.\n\n")
    assert "`BG1HOFS`: BG1 horizontal scroll." in sample.output
    assert "`M7HOFS`: Mode 7 horizontal scroll." in sample.output
    assert sample._metadata["names"] == ["BG1HOFS", "M7HOFS"]


@pytest.mark.parametrize(("size", "claim"), [
    (1, "It is one byte"), (2, "It is a 16-bit value"), (3, "It is a 24-bit (3-byte) value"),
    (4, "It is a 32-bit (4-byte) value"), (16, "It is a 16-byte table; code indexes it"),
])
def test_a_long_value_is_not_called_a_table(size, claim):
    """A 32-bit counter is one value, not a table that code indexes with X."""
    entry = AddressEntry(0x7EF45C, "BootsTime", "time boots were found", size=size, source="x")
    assert claim in name_sample(entry).output
    assert (",X" in address_sample([entry], 3).instruction + name_sample(entry).output) == \
        (size > 4)
