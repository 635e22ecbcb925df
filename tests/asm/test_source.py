from afs.asm.opcodes import MNEMONICS
from afs.asm.source import (instructions, logical_lines, split_arguments, split_statements,
                            strip_comment)


def test_comments_stop_at_semicolons_outside_quotes():
    assert strip_comment('db ";", $00 ; note') == 'db ";", $00 '
    assert strip_comment("LDA #';' ; char") == "LDA #';' "
    assert strip_comment("NOP") == "NOP"


def test_continuations_join_lines_and_keep_the_first_line_number():
    text = "lda \\\n    $7F0000\ndb $01,\n   $02\nRTS\n"
    assert list(logical_lines(text)) == [(1, "lda $7F0000"), (3, "db $01,$02"), (5, "RTS")]


def test_statements_split_on_spaced_colons_only():
    statements = split_statements(4, "  Label: LDA #$00 : STA $10 ; x")
    assert [(s.line, s.column, s.text) for s in statements] == [
        (4, 3, "Label: LDA #$00"), (4, 21, "STA $10 ; x")]
    assert [s.text for s in split_statements(1, 'db ":" : NOP')] == ['db ":"', "NOP"]
    assert [s.text for s in split_statements(1, "NOP :")] == ["NOP", ":"]


def test_arguments_split_on_top_level_commas():
    assert split_arguments('$01, "a,b", ($02,x)') == ["$01", '"a,b"', "($02,x)"]


def test_instructions_skip_labels_directives_and_macros():
    text = "Main:\n- LDA $0D00, X : BEQ +\n.loop STA $10\ndb $01\n%Macro()\n+ RTS\n"
    found = [(i.line, i.word, i.operand) for i in instructions(text, MNEMONICS)]
    assert found == [(2, "LDA", "$0D00,X"), (2, "BEQ", "+"), (3, "STA", "$10"), (6, "RTS", "")]
