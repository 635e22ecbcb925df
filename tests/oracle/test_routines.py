"""Where a routine starts and ends (afs.oracle.routines), and how header comments are read
(afs.oracle.comments)."""

from __future__ import annotations

from afs.asm import validate
from afs.oracle.comments import as_prose, comment_block_above, drop_name_line, without_comments
from afs.oracle.routines import extract_routines

SOURCE = """\
!Speed = 20

macro Inside()
NotARoutine:
  NOP
endmacro

struct Table $7E0100
  .Field: skip 1
endstruct

; First
; Count up to 8 with local and anonymous labels.
First:
{
  LDX.b #$00
.loop
  INX : CPX.b #$08 : BNE .loop
  BRA +
  +
  RTS
}

if !DEBUG
; Debug_Only
; Only in debug builds.
Debug_Only:
  LDA.b #$01
  RTL
endif

pushpc
org $008000
  Patched:
    JML First
  assert pc() <= $008010
pullpc

DataOnly:
  db $01, $02, $03

Last: LDA.b #!Speed : RTS
"""


def test_routines_end_at_the_next_routine_or_section_and_skip_macros_structs_and_data():
    routines = list(extract_routines(SOURCE))
    assert [(r.qualified, r.line) for r in routines] == [
        ("First", 14), ("Debug_Only", 27), ("Patched", 34), ("Last", 42)]
    first, debug, patched, last = routines
    # local and anonymous labels stay inside; the `if !DEBUG` and the next header are trimmed
    assert first.lines[-1] == "}" and ".loop" in first.code and "  +" in first.lines
    assert first.header == ("Count up to 8 with local and anonymous labels.",)
    # the `endif` closing a conditional opened before the label ends the routine
    assert debug.lines == ("Debug_Only:", "  LDA.b #$01", "  RTL")
    # `pullpc` ends it; the trailing `assert` is about the section, not the routine
    assert patched.lines == ("  Patched:", "    JML First")
    assert last.lines == ("Last: LDA.b #!Speed : RTS",)
    for routine in routines:
        assert validate(routine.code).valid, routine.name


def test_a_conditional_inside_a_routine_stays_in_it():
    code = "Main:\n  if !DEBUG\n    NOP\n  endif\n  RTS\n"
    (routine,) = extract_routines(code)
    assert routine.lines == ("Main:", "  if !DEBUG", "    NOP", "  endif", "  RTS")


def test_namespaces_qualify_names_until_namespace_off():
    code = "namespace Wisp\nMain:\n  RTS\nnamespace off\nOther:\n  RTS\n"
    assert [(r.qualified, r.namespace) for r in extract_routines(code)] == [
        ("Wisp_Main", "Wisp"), ("Other", None)]


def test_header_blocks_drop_rulers_and_the_name_line():
    lines = ["", "; ---------", "; Sentry_Init (state 0)", "; Keep the facing bits.",
             "; ---------", "Sentry_Init:"]
    block = comment_block_above(lines, 5)
    assert block == ["Sentry_Init (state 0)", "Keep the facing bits."]
    assert drop_name_line(block, "Sentry_Init") == ["(state 0)", "Keep the facing bits."]
    # a sentence that starts with the name is not a name line
    assert drop_name_line(["Draw the wisp."], "Draw") == ["Draw the wisp."]


def test_prose_keeps_lists_and_joins_wrapped_lines():
    block = ["Copy bytes to VRAM.", "In:  $00-$02 = source", "     $03-$04 = size",
             "Must run in V-blank; clobbers", "A and X.", "", "Second paragraph."]
    assert as_prose(block) == ("Copy bytes to VRAM.\nIn:  $00-$02 = source\n     $03-$04 = size\n"
                               "Must run in V-blank; clobbers A and X.\n\nSecond paragraph.")


def test_without_comments_keeps_a_map_back_to_the_original_lines():
    lines = ["Main:", "  ; note", "  LDA.b #$00 ; zero", "  RTS"]
    kept, origin = without_comments(lines)
    assert kept == ["Main:", "  LDA.b #$00", "  RTS"] and origin == [0, 2, 3]
