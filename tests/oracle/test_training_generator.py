"""OracleTrainingGenerator on small asar trees written in tmp_path (every sample kind, source
positions, comments, validation metadata, rationales, determinism, unusable files, memory)
and on the shipped tree data/01_raw/asm."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from afs.asm import validate_sample
from afs.errors import ConfigError, DataError
from afs.oracle.training_generator import KINDS, OracleTrainingGenerator

SHIPPED = Path(__file__).resolve().parents[2] / "data" / "01_raw" / "asm"
RAM = """\
; =============================================================================
; Core/ram.asm - RAM symbols
; =============================================================================

; Main module index (game mode).
GameMode = $7E0010

; Sprite slot state: $00 = empty, $09 = active.
SprState = $7E0DD0
HackCounter = $7E0400 ; shards collected this visit
Undocumented = $7E0402
"""

MACROS = """\
; 16-bit accumulator (clears the M flag).
macro SetA16()
  REP #$20
endmacro

; Queue sound `id` on effect channel 3.
macro PlaySFX(id)
  LDA.b #<id> : STA.w $012F
endmacro
"""

STRUCTS = """\
; One OAM entry of the buffer at $0800.
struct OamEntry $0800
  .XPos: skip 1         ; screen X
  .YPos: skip 1         ; screen Y
  .Tile: skip 2         ; tile and flags
endstruct
"""

# Test_Main's label is on line 5, Test_Helper's on line 17, Test_Nop's on line 27
SPRITE = """\
; -----------------------------------------------------------------------------
; Test_Main
; Reset the sprite in slot X while the game is in the dungeon module.
; -----------------------------------------------------------------------------
Test_Main:
{
  LDA.b GameMode : CMP.b #$07 : BNE .done   ; only in dungeons
    STZ.w SprState, X                       ; free the slot
    JSL Test_Helper
.done
  RTL
}

; -----------------------------------------------------------------------------
; Test_Helper
; Add one to the hack counter, with a 16-bit accumulator.
Test_Helper:
{
  %SetA16()
  INC.w HackCounter
  SEP #$20
  RTL
}

; a comment separated by a blank line is not a header

Test_Nop:
  NOP
  RTS
"""

BROKEN = """\
; Test_Broken
; Does something the assembler rejects.
Test_Broken:
  ; a note that is stripped from the write sample
  LDA.b #$12
  FOO $10
  RTS
"""

DOC = """\
# Guide

Intro text that explains what this small hack does for the player.

## Sprites

The sprites live in `Sprites/test.asm` and use the slot state table at `$0DD0,X`.

| Routine | Does |
| --- | --- |
| `Test_Main` | resets the sprite |

```asm
# not a heading
```
"""

TREE = {
    "Core/ram.asm": RAM,
    "Core/macros.asm": MACROS,
    "Core/structs.asm": STRUCTS,
    "Sprites/test.asm": SPRITE,
    "Docs/guide.md": DOC,
}



def write_tree(root: Path, files: dict[str, str] | None = None) -> Path:
    for relative, text in (files or TREE).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def generate(root: Path, **options) -> tuple[list, OracleTrainingGenerator]:
    generator = OracleTrainingGenerator(root, **options)
    return list(generator.generate()), generator


def by_kind(samples: list, kind: str, **metadata) -> list:
    return [s for s in samples if s._metadata["kind"] == kind
            and all(s._metadata.get(k) == v for k, v in metadata.items())]


def only(samples: list, kind: str, **metadata):
    found = by_kind(samples, kind, **metadata)
    assert len(found) == 1, [s.source for s in found]
    return found[0]


@pytest.fixture()
def samples(tmp_path: Path) -> list:
    return generate(write_tree(tmp_path))[0]


# --- every kind --------------------------------------------------------------------------------

def test_every_kind_has_its_domain(samples):
    assert {s.domain for s in samples} == {"asm.explain", "asm.write", "asm.symbols",
                                           "asm.struct", "asm.macro", "docs"}
    for sample in samples:
        assert sample.quality_score is not None and 0.0 <= sample.quality_score <= 1.0
        assert sample._metadata["generator"] == "oracle"


def test_explain_sample_is_built_from_the_routines_comments_and_code(samples):
    sample = only(samples, "routine_explain", label="Test_Main")
    assert sample.source == "Sprites/test.asm:5"
    assert "`Test_Main`" in sample.instruction
    assert sample.input.startswith("Test_Main:\n{") and sample.input.rstrip().endswith("}")
    output = sample.output
    assert "Reset the sprite in slot X while the game is in the dungeon module." in output
    assert "reads `GameMode` ($7E0010): Main module index (game mode)." in output
    assert "writes `SprState` ($7E0DD0)" in output
    # a call into the same file is described by the callee's header
    assert "`Test_Helper` (JSL): Add one to the hack counter" in output
    assert "long routine: it returns with RTL" in output
    assert "only in dungeons" in output and "free the slot" in output
    assert sample._metadata["asar_valid"] is True and "asar_errors" not in sample._metadata
    assert sample._metadata["entity_coverage"] == 1.0


def test_write_sample_has_the_header_as_request_and_the_code_without_comments(samples):
    sample = only(samples, "routine_write", label="Test_Main")
    assert sample.domain == "asm.write" and sample.source == "Sprites/test.asm:5"
    assert sample.instruction.count("`Test_Main`") == 1
    assert "Reset the sprite in slot X while the game is in the dungeon module." in sample.instruction
    assert sample.output.startswith("```asm\nTest_Main:\n") and sample.output.endswith("\n```")
    assert ";" not in sample.output
    assert "STZ.w SprState, X" in sample.output
    assert validate_sample(sample).valid


def test_keep_comments_keeps_them_in_the_write_sample(tmp_path):
    samples, _ = generate(write_tree(tmp_path), keep_comments=True)
    sample = only(samples, "routine_write", label="Test_Main")
    assert "; only in dungeons" in sample.output and sample._metadata["comments_kept"] is True


def test_a_routine_without_header_gets_an_explanation_but_no_write_task(samples):
    assert by_kind(samples, "routine_write", label="Test_Nop") == []
    sample = only(samples, "routine_explain", label="Test_Nop")
    assert sample.source == "Sprites/test.asm:27"
    assert "What it does, from its header comment" not in sample.output


def test_thinking_reasons_from_the_lines_of_the_code(samples):
    """The thinking says how the answer is found (which line shows which fact), and the write
    task's thinking is a plan; neither restates the answer."""
    main = only(samples, "routine_explain", label="Test_Main")
    assert main.thinking.startswith("Reading the code of `Test_Main` (line 1 is its label, "
                                    "line 5 of `Sprites/test.asm`): ")
    assert ("line 3 `LDA.b GameMode : CMP.b #$07 : BNE .done` reads `GameMode` ($7E0010, "
            "named in `Core/ram.asm`)") in main.thinking
    assert "line 5 `JSL Test_Helper` calls `Test_Helper` with JSL" in main.thinking
    assert "line 7 `RTL` returns to a JSL caller" in main.thinking
    assert main.thinking not in main.output
    helper = only(samples, "routine_write", label="Test_Helper")
    assert helper.thinking == ("Plan for `Test_Helper`, step by step: 1. Make A 16-bit. "
                               "2. Read and write `HackCounter` ($7E0400, named in "
                               "`Core/ram.asm`). 3. Make A 8-bit. 4. Return to a JSL caller.")
    # a routine whose code shows only its exit reasons from that one line
    assert only(samples, "routine_explain", label="Test_Nop").thinking.endswith(
        "line 3 `RTS` returns to a JSR caller in the same bank.")  # no header, no table
    assert main.thinking.endswith(" Besides the code, the header comment above the label gives "
                                  "its purpose and the address table gives what each named "
                                  "address holds.")


def test_invalid_code_keeps_the_sample_and_carries_the_errors(tmp_path):
    samples, _ = generate(write_tree(tmp_path, {**TREE, "Items/broken.asm": BROKEN}))
    explain = only(samples, "routine_explain", label="Test_Broken")
    assert explain._metadata["asar_valid"] is False
    assert explain._metadata["asar_errors"] == [
        "4:3 unknown_mnemonic unknown mnemonic FOO (not a 65816 instruction)"]
    write = only(samples, "routine_write", label="Test_Broken")
    # the error is placed on the line of the stripped output, as validate_sample counts it
    expected = [f"{e.line}:{e.column} {e.code} {e.message}" for e in validate_sample(write).errors]
    assert write._metadata["asar_errors"] == expected == [
        "4:3 unknown_mnemonic unknown mnemonic FOO (not a 65816 instruction)"]
    assert write.quality_score < only(samples, "routine_write", label="Test_Main").quality_score


def test_symbol_lookups_come_from_symbol_files(samples):
    game_mode = by_kind(samples, "symbol", name="GameMode")
    assert len(game_mode) == 2
    assert {s.source for s in game_mode} == {"Core/ram.asm:6"}
    assert {s._metadata["direction"] for s in game_mode} == {"name_to_address",
                                                           "address_to_meaning"}
    assert all("$7E0010" in s.instruction + s.output for s in game_mode)
    assert all("Main module index" in s.output for s in game_mode)
    counter = by_kind(samples, "symbol", name="HackCounter")
    assert counter and "Shards collected this visit" in counter[0].output
    assert by_kind(samples, "symbol", name="Undocumented") == []  # nothing to answer with


def test_symbol_files_extend_the_address_table(tmp_path):
    generator = OracleTrainingGenerator(write_tree(tmp_path), builtin_ram=True)
    db = generator.learn_tree().db
    assert db.get("HackCounter").address == 0x7E0400
    assert db.get("OamEntry.Tile").address == 0x0802 and db.get("OamEntry.Tile").size == 2
    assert db.get("player_max_health") is not None  # the built-in table is kept


def test_struct_layout_and_field_addresses(samples):
    layout = only(samples, "struct", struct="OamEntry", field=None)
    assert layout.source == "Core/structs.asm:2" and layout.domain == "asm.struct"
    assert "is 4 bytes long" in layout.output
    assert "- `.Tile` at +$02 ($0802), 2 bytes: tile and flags" in layout.output
    assert "`OamEntry[1].XPos` is $0804" in layout.output
    assert "One OAM entry of the buffer at $0800." in layout.output
    assert layout.thinking.startswith("Each offset is the sum of the field sizes before it")
    field = only(samples, "struct", field="YPos")
    assert "`OamEntry.YPos` is $0801" in field.output and "screen Y" in field.output


def test_macro_samples_say_what_it_does_and_how_to_call_it(samples):
    sound = only(samples, "macro", macro="PlaySFX")
    assert sound.source == "Core/macros.asm:7" and sound.domain == "asm.macro"
    assert sound._metadata["params"] == ["id"]
    assert "Queue sound `id` on effect channel 3." in sound.output
    # the tree never calls it: no call is shown (asar rejects `%PlaySFX(<id>)`)
    assert "<id>)" not in sound.output and sound._metadata["example_call"] is None
    assert "```asm\nmacro PlaySFX(id)" in sound.output
    assert sound._metadata["asar_valid"] is True
    assert sound.thinking is None
    width = only(samples, "macro", macro="SetA16")
    assert "It leaves A 16-bit." in width.output
    assert width.thinking == "The body runs REP #$20 (A 16-bit), so a call leaves A 16-bit."


def test_docs_give_sections_with_their_heading_path_and_table_rows(samples):
    sections = by_kind(samples, "doc_section")
    assert {s.source for s in sections} == {"Docs/guide.md:1", "Docs/guide.md:5"}
    sprites = only(samples, "doc_section", line=5)
    assert sprites.input == "Docs/guide.md › Guide › Sprites"
    assert sprites.output.startswith("The sprites live in `Sprites/test.asm`")
    assert "# not a heading" in sprites.output  # inside a code fence
    row = only(samples, "doc_table_row")
    assert row.source == "Docs/guide.md:11" and row.domain == "docs"
    assert row.output == "Routine `Test_Main`: does: resets the sprite."
    assert "`Test_Main`" in row.instruction


def test_kinds_pick_sample_kinds(tmp_path):
    samples, _ = generate(write_tree(tmp_path), kinds=["docs", "structs"])
    assert {s.domain for s in samples} == {"docs", "asm.struct"}
    with pytest.raises(ConfigError, match="unknown sample kind 'routines'"):
        OracleTrainingGenerator(tmp_path, kinds=["routines"])
    assert set(KINDS) == {"explain", "write", "symbols", "structs", "macros", "docs"}


def test_a_missing_root_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="not a folder"):
        list(OracleTrainingGenerator(tmp_path / "nowhere").generate())


def test_user_home_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    write_tree(tmp_path / "hack")
    samples, _ = generate("~/hack")
    assert samples


def test_namespaced_routines_are_named_with_their_namespace(tmp_path):
    code = "namespace Wisp\n\n; Main\n; Run the wisp.\nMain:\n  JSR Draw\n  RTS\n\n; Draw the wisp.\nDraw:\n  NOP\n  RTS\nnamespace off\n"
    samples, _ = generate(write_tree(tmp_path, {"Sprites/wisp.asm": code}))
    explain = only(samples, "routine_explain", label="Wisp_Main")
    assert "`Wisp_Main`" in explain.instruction
    assert "`Draw` (JSR): Draw the wisp." in explain.output
    write = only(samples, "routine_write", label="Wisp_Main")
    assert "`Main`" in write.instruction and "namespace Wisp" in write.instruction


# --- determinism and robustness ----------------------------------------------------------------

def test_the_same_tree_gives_the_same_samples_in_the_same_order(tmp_path):
    root = write_tree(tmp_path)
    first = [s.to_dict() for s in generate(root)[0]]
    second = [s.to_dict() for s in generate(root)[0]]
    assert first == second and len(first) >= 15


def test_unusable_files_are_skipped_with_reasons_and_the_rest_still_generates(tmp_path):
    root = write_tree(tmp_path)
    (root / "Items").mkdir()
    (root / "Items/latin1.asm").write_bytes("; caf\xe9\nFoo:\n  RTS\n".encode("latin-1"))
    (root / "Items/binary.asm").write_bytes(b"\x00\x01\x02asm")
    (root / "Items/huge.asm").write_text("; x\n" * 20_000, encoding="utf-8")
    (root / "Items/crlf.asm").write_bytes(
        b"; Crlf_Routine\r\n; Clear the state of slot X.\r\nCrlf_Routine:\r\n  STZ.w SprState, X\r\n  RTS\r\n")
    os.symlink(root, root / "Items" / "loop")  # a folder that contains itself
    os.symlink(root / "absent.asm", root / "Items" / "dangling.asm")
    unreadable = root / "Items/secret.asm"
    unreadable.write_text("Secret:\n  RTS\n", encoding="utf-8")
    unreadable.chmod(0)
    samples, generator = generate(root, max_file_bytes=50_000)
    reasons = {s.path: s.reason for s in generator.skipped}
    assert reasons["Items/latin1.asm"].startswith("line 1: invalid UTF-8 at byte ")
    assert reasons["Items/binary.asm"] == "binary file (NUL bytes)"
    assert reasons["Items/huge.asm"].startswith("too large")
    assert reasons["Items/loop"].startswith("symlink loop")
    assert reasons["Items/dangling.asm"] == "broken symlink"
    if os.geteuid() != 0:  # root reads a chmod 000 file anyway
        assert reasons["Items/secret.asm"].startswith("unreadable")
    crlf = only(samples, "routine_write", label="Crlf_Routine")
    assert crlf.source == "Items/crlf.asm:3" and "\r" not in crlf.output + crlf.instruction
    assert only(samples, "routine_explain", label="Test_Main")
    unreadable.chmod(0o644)


def test_files_without_routines_yield_nothing(tmp_path):
    root = write_tree(tmp_path, {"a.asm": "; only a comment\n", "b.asm": "db $00, $01\n",
                                 "c.md": "# Title\n"})
    samples, generator = generate(root)
    assert samples == [] and generator.skipped == []


def test_skipped_is_reset_on_each_run(tmp_path):
    root = write_tree(tmp_path)
    (root / "bad.asm").write_bytes(b"\x00")
    generator = OracleTrainingGenerator(root)
    list(generator.generate())
    list(generator.generate())
    assert [s.path for s in generator.skipped] == ["bad.asm"]


def _peak_bytes(root: Path) -> int:
    tracemalloc.start()
    try:
        for _ in OracleTrainingGenerator(root).generate():
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _many_files(root: Path, count: int) -> Path:
    for number in range(count):
        folder = root / f"Area{number % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"mod{number:05d}.asm").write_text(
            f"; Mod{number}_Run\n; Store the state of module {number} in SprState.\n"
            f"Mod{number}_Run:\n  LDA.b #${number % 256:02X}\n  STA.w $0DD0, X\n  RTL\n",
            encoding="utf-8")
    return root


def test_memory_stays_bounded_as_the_tree_grows(tmp_path):
    small_tree = _many_files(tmp_path / "small", 200)
    _peak_bytes(small_tree)  # first run: one-off caches (the built-in tables, regexes)
    small = _peak_bytes(small_tree)
    large = _peak_bytes(_many_files(tmp_path / "large", 2000))
    # streaming: ten times the files, not ten times the memory
    assert large < 2 * small + 512 * 1024, (small, large)
    assert large < 8 * 2**20


# --- the shipped tree and the spec's example -----------------------------------------------------

def test_the_shipped_tree_gives_every_kind_and_valid_routines():
    samples, generator = generate(SHIPPED)
    assert generator.skipped == []
    assert {s.domain for s in samples} == {"asm.explain", "asm.write", "asm.symbols",
                                           "asm.struct", "asm.macro", "docs"}
    routines = by_kind(samples, "routine_explain")
    assert len(routines) >= 40
    assert all(s._metadata["asar_valid"] for s in samples if "asar_valid" in s._metadata)
    wisp = only(samples, "routine_explain", label="SpiritWisp_Main")
    assert wisp.source == "Sprites/spirit_wisp.asm:41"
    for sample in samples:
        path, _, line = sample.source.rpartition(":")
        assert (SHIPPED / path).is_file() and int(line) >= 1


def test_the_spec_example_runs_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "training_data").mkdir()
    generator = OracleTrainingGenerator(
        oracle_path=Path(SHIPPED)
    )

    # Generate samples
    with open("training_data/oracle.jsonl", "w") as f:
        for sample in generator.generate():
            f.write(json.dumps(sample.to_dict()) + "\n")

    # Or use programmatically
    samples = list(generator.generate())
    high_quality = [s for s in samples if s.quality_score > 0.6]
    print(f"Generated {len(samples)} total, {len(high_quality)} high-quality")

    written = (tmp_path / "training_data/oracle.jsonl").read_text().splitlines()
    assert len(written) == len(samples) and 0 < len(high_quality) < len(samples)


def test_samples_do_not_depend_on_the_process_hash_seed():
    script = ("import hashlib\nfrom afs.oracle import OracleTrainingGenerator\n"
              "digest = hashlib.sha256()\n"
              f"for s in OracleTrainingGenerator({str(SHIPPED)!r}).generate():\n"
              "    digest.update(s.to_json().encode())\nprint(digest.hexdigest())\n")
    digests = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2")}
    assert len(digests) == 1
