"""A sample that states a fact must be right, and a task must be answerable from itself (issue
17 §3-§4): each test is one class of flaw found on real asar codebases, reproduced on a small
tree written here."""

from __future__ import annotations

import re
from collections import defaultdict
import pytest

from afs.asm import validate
from afs.generators.runner import run_source
from afs.oracle.training_generator import OracleTrainingGenerator
from tests.oracle.test_training_generator import SHIPPED, generate
from tests.oracle.test_training_generator import write_tree as write

PREAMBLE_RAM = """\
; =====================================================================
; ram.asm - every WRAM label of the hack
; =====================================================================
; This file documents the RAM the hack uses. Keep it sorted by address,
; and ask before moving anything: save files depend on it.
RoomFlagsA = $7EF000
RoomFlagsB = $7EF002

; Timer for the wisp, counts down each frame.
WispTimer = $7E0400
"""


def symbol(samples: list, name: str) -> list:
    return [s for s in samples if s._metadata.get("kind") == "symbol"
            and name in s._metadata.get("names", [s._metadata["name"]])]


def answers(samples: list, name: str) -> str:
    return "\n".join(s.output for s in symbol(samples, name))


# --- what documents a symbol ---------------------------------------------------------------------

def test_a_files_header_is_never_a_symbols_description(tmp_path):
    samples, generator = generate(write(tmp_path, {"ram.asm": PREAMBLE_RAM}))
    assert symbol(samples, "RoomFlagsA") == [] and symbol(samples, "RoomFlagsB") == []
    assert "save files" not in "".join(s.output for s in samples)
    assert "Timer for the wisp, counts down each frame." in answers(samples, "WispTimer")
    # the address table holds no borrowed description either
    assert generator.learn_tree().db.get("RoomFlagsA").description == ""


def test_the_generation_report_counts_symbols_without_a_real_description(tmp_path):
    root = write(tmp_path, {"ram.asm": PREAMBLE_RAM + HEADED})
    _, report = run_source("oracle", {"generator": "oracle", "params": {"oracle_path": str(root)}})
    stats = report["stats"]
    assert stats["symbols_documented_none"] == 2  # RoomFlagsA/B: no samples
    assert stats["symbols_documented_own"] == 1  # WispTimer
    assert stats["symbols_documented_heading"] == 6
    assert stats["symbol_samples_without_own_description"] == 12  # 6 names, both directions
    assert stats["symbol_samples"] == 14


HEADED = """
; ---------------------------------------------------------------------
; Room flags
; ---------------------------------------------------------------------
FlagA = $7EF100
FlagB = $7EF101
FlagC = $7EF102
FlagD = $7EF103
FlagE = $7EF104
FlagF = $7EF105
"""


def test_a_block_header_is_the_groups_heading_not_each_symbols_description(tmp_path):
    samples, generator = generate(write(tmp_path, {"ram.asm": HEADED}))
    outputs = [s.output for s in samples]
    assert len(outputs) == 12
    assert all("Listed under the heading \u201cRoom flags\u201d." in o for o in outputs)
    assert {s._metadata["documented_by"] for s in samples} == {"heading"}
    assert generator.learn_tree().db.get("FlagC").description == ""


def test_a_comment_above_a_few_symbols_is_said_to_be_theirs_together(tmp_path):
    text = "; Link's Y and X coordinates.\nLinkY = $7E0020\nLinkX = $7E0022\n"
    samples, _ = generate(write(tmp_path, {"ram.asm": text}))
    for name in ("LinkY", "LinkX"):
        assert ("The comment above `LinkY` and `LinkX` documents them together:\n"
                "Link's Y and X coordinates.") in answers(samples, name)


def test_one_comment_written_across_the_trailing_comments_of_symbols_is_theirs_together(tmp_path):
    text = ("NmiColors = $7E0015 ; when non-zero, triggers a palette upload\n"
            "NmiHud = $7E0016    ; during the next NMI.\n")
    samples, _ = generate(write(tmp_path, {"ram.asm": text}))
    assert "during the next NMI" in answers(samples, "NmiColors")
    assert "triggers a palette upload during the next NMI." in answers(samples, "NmiHud")


# --- comments: annotations and tables ----------------------------------------------------------

def test_tool_annotations_are_not_descriptions(tmp_path):
    files = {
        "ram.asm": ("Watched = $7E0400 ; @watch fmt=hex\n"
                    "Speed = $7E0402 ; Speed of the wisp @watch fmt=dec\n"),
        "wisp.asm": ("; @hud slot=3\n; Move the wisp by its speed.\nWisp_Move:\n"
                     "  LDA.w Speed ; @watch fmt=hex\n  STA.w $0D50, X ; @watch\n  RTS\n"),
    }
    samples, _ = generate(write(tmp_path, files))
    assert all("@" not in s.output + s.instruction + (s.thinking or "") for s in samples)
    assert symbol(samples, "Watched") == []  # an annotation-only comment documents nothing
    assert "Speed of the wisp." in answers(samples, "Speed")
    write_task = next(s for s in samples if s._metadata["kind"] == "routine_write")
    assert write_task.instruction.endswith("Move the wisp by its speed.")


def test_comment_tables_keep_their_lines(tmp_path):
    text = ("ItemPtr = $7E0AFA    ; Pointer for item graphics transfers\n"
            "                     ; $0000       - no transfer\n"
            "                     ; bit 7 reset - offset into ROM table\n"
            "                     ; bit 7 set   - explicit bank address\n"
            "\n"
            "; Mode of the menu\n"
            "; $00 = closed\n"
            "; $01 = opening\n"
            "MenuMode = $7E0B00\n")
    samples, _ = generate(write(tmp_path, {"ram.asm": text}))
    assert ("Pointer for item graphics transfers\n$0000       - no transfer\n"
            "bit 7 reset - offset into ROM table\nbit 7 set   - explicit bank address"
            ) in answers(samples, "ItemPtr")
    assert "Mode of the menu\n$00 = closed\n$01 = opening" in answers(samples, "MenuMode")


def test_notes_inside_a_routine_keep_table_lines_and_stay_apart(tmp_path):
    code = ("; Pick the song of the area from the table below.\nPickSong:\n"
            "  LDA.b $8A ; current overworld area\n"
            "  ; 1 - Light World\n  ; 2 - Hyrule Field\n"
            "  TAX\n  ; x\n  RTL\n")
    samples, _ = generate(write(tmp_path, {"music.asm": code}))
    explain = next(s for s in samples if s._metadata["kind"] == "routine_explain")
    assert "- line 3: 1 - Light World\n  2 - Hyrule Field" in explain.output
    # a run of one-word comments is no note, and is not glued onto the note before it
    assert "Hyrule Field x" not in explain.output and "- line 6" not in explain.output


# --- sizes ---------------------------------------------------------------------------------------

SIZES = """\
; Link's Y coordinate.
POSY = $7E0020
; Link's X coordinate.
POSX = $7E0022
RoomFlags = $7EF4A0 ; room flags of the current dungeon
SprY = $7E0D00 ; sprite Y, low byte
SprX = $7E0D08 ; sprite X, low byte (overlaps the built-in 16-byte table at $0D00)
SpriteHarm = $0DB080 ; damage table of the sprites

pushpc
org 0
base $7F5000
WispTimer: skip 2 ; frames left
WispState: skip 1 ; state index
Scratch:
ScratchA: skip 1 ; scratch
pullpc
"""


def width_claims(samples: list, name: str) -> set[str]:
    found = set()
    for sample in symbol(samples, name):
        found.update(re.findall(r"It is (one byte|a 16-bit value|a \d+-byte table)",
                                sample.output))
    return found


def test_sizes_come_from_the_symbols_real_extent_or_are_not_stated(tmp_path):
    root = write(tmp_path, {"ram.asm": SIZES})
    samples, _ = generate(root, builtin_ram=True)
    assert width_claims(samples, "POSY") == {"a 16-bit value"}  # the built-in table's width
    assert width_claims(samples, "RoomFlags") == set()  # nothing gives its width
    assert width_claims(samples, "SprX") == set()  # the table would overlap the next symbol
    assert width_claims(samples, "WispTimer") == {"a 16-bit value"}  # skip 2
    assert width_claims(samples, "WispState") == {"one byte"}  # skip 1
    assert symbol(samples, "WispState")[0]._metadata["size"] == 1
    harm = symbol(samples, "SpriteHarm")
    assert width_claims(samples, "SpriteHarm") == set()  # a ROM label has no width to state
    assert all("LDA" not in s.instruction and "RAM variable" not in s.instruction for s in harm)
    # without the built-in table nothing says how wide POSY is
    samples, _ = generate(root, builtin_ram=False)
    assert width_claims(samples, "POSY") == set()


def test_a_ram_layout_names_addresses_from_its_base(tmp_path):
    generator = OracleTrainingGenerator(write(tmp_path, {"ram.asm": SIZES}))
    db = generator.learn_tree().db
    assert db.get("WispTimer").address == 0x7F5000 and db.get("WispTimer").size == 2
    assert db.get("WispState").address == 0x7F5002
    assert db.get("ScratchA").address == 0x7F5003
    assert not db.get("Scratch").size_known  # an alias label: its extent is not known


def test_code_assembled_to_run_from_ram_is_not_a_layout(tmp_path):
    code = "org $7F8000\nRamRoutine:\n  LDA.b #$01\n  RTL\n"
    generator = OracleTrainingGenerator(write(tmp_path, {"ram_code.asm": code}))
    assert generator.learn_tree().db.get("RamRoutine") is None


# --- another game's facts ------------------------------------------------------------------------

METROID_ROUTINE = "; Reset the scroll of the area.\nResetScroll:\n  STZ.w $0022\n  RTL\n"


def test_the_alttp_ram_table_is_not_used_on_another_games_code(tmp_path):
    samples, generator = generate(write(tmp_path, {"scroll.asm": METROID_ROUTINE}))
    explain = next(s for s in samples if s._metadata["kind"] == "routine_explain")
    assert "Link" not in explain.output and "player_x" not in explain.output
    assert generator.stats["builtin_alttp_ram"] is False


def test_the_alttp_ram_table_is_used_on_a_tree_that_names_the_game(tmp_path):
    files = {"scroll.asm": METROID_ROUTINE,
             "main.asm": "; A Link to the Past randomizer\n",
             "notes.asm": "; Zelda's RAM as the disassembly names it\n"}
    samples, generator = generate(write(tmp_path, files))
    explain = next(s for s in samples if s._metadata["kind"] == "routine_explain")
    assert "`player_x` ($7E0022): Link's absolute X coordinate" in explain.output
    assert generator.stats["builtin_alttp_ram"] is True


# --- write tasks ---------------------------------------------------------------------------------

WEAK = """\
;================================================================================
; Accessibility Fixes
;================================================================================
ConditionalFlash:
  LDA.b #$01
  RTL

; 0x03
NumberOnly:
  LDA.b #$03
  RTL

; 22D520
AddressOnly:
  RTS

; Clear the flash timer when the game mode changes.
ClearFlash:
  STZ.w $0400
  RTL
"""


def test_a_write_task_needs_a_specification_in_words(tmp_path):
    samples, generator = generate(write(tmp_path, {"fixes.asm": WEAK}))
    writes = {s._metadata["label"] for s in samples if s._metadata["kind"] == "routine_write"}
    assert writes == {"ClearFlash"}
    assert generator.stats["write_tasks_left_out_weak_spec"] == 2
    flash = next(s for s in samples if s._metadata.get("label") == "ConditionalFlash")
    # a boxed title above the first routine is the section's heading, not what it does
    assert "It is in the section headed \u201cAccessibility Fixes\u201d." in flash.output
    assert "What it does" not in flash.output
    number = next(s for s in samples if s._metadata.get("label") == "NumberOnly")
    assert "Its header comment reads:\n0x03" in number.output


def test_a_write_answer_ends_at_the_routines_closing_brace(tmp_path):
    code = ("; Run the boss AI with the vanilla timing.\nBossAi:\n{\n  LDX.w $0E54\n"
            "  JSR $96C6\n  RTL\n}\n%warnpc($B3971B, $B3972B)\nLDA.b #$00\n")
    samples, _ = generate(write(tmp_path, {"boss.asm": code}))
    write_task = next(s for s in samples if s._metadata["kind"] == "routine_write")
    assert write_task.output.endswith("  RTL\n}\n```")
    assert "warnpc" not in write_task.output


# --- macro calls ---------------------------------------------------------------------------------

MACROS = """\
; Play sound effect `id` on channel `channel`.
macro PlaySFX(id, channel)
  LDA.b #<id> : STA.w $012D+<channel>
endmacro

; Set the timer of slot X.
; Usage: %SetTimer($20)
macro SetTimer(frames)
  LDA.b #<frames> : STA.w $0DF0, X
endmacro

; Load `value` into A.
macro LoadA(value)
  LDA.b #<value>
endmacro
"""

CALLER = """\
; Ring the bell when the door opens.
RingBell:
  %PlaySFX($1B, 2)
  RTL
"""


def test_macro_calls_shown_are_real_and_assemble(tmp_path):
    samples, _ = generate(write(tmp_path, {"macros.asm": MACROS, "bell.asm": CALLER}))
    by_name = {s._metadata["macro"]: s for s in samples if s._metadata["kind"] == "macro"}
    assert all("(<" not in s.output for s in by_name.values())  # asar rejects placeholders
    sound = by_name["PlaySFX"]
    assert "For example, `bell.asm` line 3 calls it as `%PlaySFX($1B, 2)`." in sound.output
    timer = by_name["SetTimer"]  # no call in the tree: the macro's documented usage
    assert "calls it as `%SetTimer($20)`" in timer.output
    assert by_name["LoadA"]._metadata["example_call"] is None  # no real call: none shown
    assert "For example" not in by_name["LoadA"].output
    for name in ("PlaySFX", "SetTimer"):
        definition = by_name[name].output.split("```asm\n")[1].split("\n```")[0]
        assert validate(f"{definition}\n{by_name[name]._metadata['example_call']}\n").valid


def test_a_call_that_does_not_assemble_is_not_shown(tmp_path):
    caller = "; Bad call.\nBad:\n  %LoadA($01, $02)\n  %LoadA(#$05)\n  RTL\n"
    samples, _ = generate(write(tmp_path, {"macros.asm": MACROS, "bad.asm": caller}))
    load = next(s for s in samples if s._metadata.get("macro") == "LoadA")
    assert load._metadata["example_call"] is None  # wrong arity, and `LDA.b ##$05`


# --- answerable instructions ---------------------------------------------------------------------

def test_every_instruction_has_one_answer(tmp_path):
    routine = "; Draw the sprite of slot {n}.\nMain:\n  LDA.b #${n:02X}\n  RTS\n"
    files = {
        "a/sprite.asm": routine.format(n=1),
        "b/sprite.asm": routine.format(n=2),
        "c/twice.asm": ("if !PAL\n" + routine.format(n=3) + "else\n" + routine.format(n=4)
                        + "endif\n"),
        "docs/a.md": "# Overview\n\nThe first overview of the hack, in enough words to keep.\n",
        "docs/b.md": ("# Overview\n\nThe second overview of the hack, in enough words to keep.\n"
                      "## Sprites\n### Overview\n\nThe overview of sprites, with enough words.\n"),
        "regs.asm": ("BG1HOFS = $00210D ; BG1 horizontal scroll\n"
                     "M7HOFS = $00210D ; Mode 7 horizontal scroll\n"),
        "more_regs.asm": "ScrollX = $00210D ; the scroll we write\n",
    }
    samples, _ = generate(write(tmp_path, files))
    outputs = defaultdict(set)
    for sample in samples:
        outputs[sample.instruction].add(sample.output)
    assert {i: o for i, o in outputs.items() if len(o) > 1} == {}
    shared = [s for s in samples if s._metadata.get("names") == ["BG1HOFS", "M7HOFS"]]
    assert len(shared) == 1 and "`BG1HOFS` and `M7HOFS`" in shared[0].output


# --- thinking ------------------------------------------------------------------------------------

def test_thinking_is_never_a_restatement_of_the_answer(tmp_path):
    code = ("; Count the frames the wisp has been visible.\nWisp_Tick:\n  INC.w $0400\n"
            "  JSL Wisp_Draw\n  RTL\n\n; Draw the wisp.\nWisp_Draw:\n  RTL\n")
    samples, _ = generate(write(tmp_path, {"wisp.asm": code}))
    for sample in samples:
        if not sample.thinking:
            continue
        assert sample.thinking not in sample.output
        if sample._metadata["kind"] == "routine_explain":
            assert re.search(r"line \d+ `[^`]+`", sample.thinking)
    tick = next(s for s in samples if s._metadata.get("label") == "Wisp_Tick"
                and s._metadata["kind"] == "routine_explain")
    # INC reads the byte and writes it back
    assert "line 2 `INC.w $0400` reads and writes" in tick.thinking
    assert "- reads and writes `$0400`" in tick.output


@pytest.mark.parametrize("kind", ["explain", "write", "symbols", "structs", "macros", "docs"])
def test_no_sample_kind_repeats_a_question_with_another_answer_on_the_shipped_tree(kind):
    samples, _ = generate(SHIPPED, kinds=[kind])
    outputs = defaultdict(set)
    for sample in samples:
        outputs[sample.instruction].add(sample.output)
    assert [i for i, o in outputs.items() if len(o) > 1] == []


def test_a_question_names_what_a_value_is_only_from_its_own_description(tmp_path):
    samples, _ = generate(write(tmp_path, {"ram.asm": HEADED}))
    # "Where is `FlagA` (Listed under the heading …) in memory?" was a question's gist
    assert all("(Listed" not in s.instruction and "heading" not in s.instruction
               for s in samples)


def test_a_bracket_of_trailing_comments_names_its_group(tmp_path):
    text = ("pushpc\norg 0\nbase $7EF4B0\n"
            "KeyCounters:              ; \\  Absorbed key counters\n"
            "SewerKeys: skip 1         ;  | Sewer Passage\n"
            "CastleKeys: skip 1        ;  |\n"
            "TowerKeys: skip 1         ; /  Ganon's Tower\n"
            "pullpc\n")
    samples, _ = generate(write(tmp_path, {"sram.asm": text}))
    assert "Absorbed key counters: Sewer Passage." in answers(samples, "SewerKeys")
    assert "Absorbed key counters: Ganon's Tower." in answers(samples, "TowerKeys")
    assert "Listed under the heading \u201cAbsorbed key counters\u201d." in answers(
        samples, "CastleKeys")
    assert all("|" not in s.output and "\\" not in s.output for s in samples)


def test_a_files_title_is_no_definitions_description(tmp_path):
    title = "; ====================\n; Core Helpers\n; ====================\n"
    files = {"macros.asm": title + "; Queue sound `id`.\nmacro PlaySFX(id)\n  LDA.b #<id>\nendmacro\n",
             "structs.asm": title + "; One OAM entry.\nstruct Oam $0800\n  .X: skip 1\nendstruct\n",
             "code.asm": title + "; Clear the timer of slot X.\nClearTimer:\n  STZ.w $0DF0, X\n  RTL\n"}
    samples, _ = generate(write(tmp_path, files))
    assert all("Core Helpers" not in s.output + s.instruction for s in samples
               if s._metadata["kind"] != "routine_explain")
    explain = next(s for s in samples if s._metadata["kind"] == "routine_explain")
    assert "It is in the section headed \u201cCore Helpers\u201d." in explain.output
    assert "What it does, from its header comment:\nClear the timer of slot X." in explain.output
