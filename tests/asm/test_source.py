from hypothesis import given
from hypothesis import strategies as st

from afs.asm.opcodes import MNEMONICS
from afs.asm.source import (instruction_parts, instructions, logical_lines, split_arguments,
                            split_statements, statement_instructions, statements, strip_comment)


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


# --- statements(): the one parse that validation and entity extraction share ------------------

_PIECES = ["LDA", "sta.w", "$12", ", X", ",x", " ", "  ", "\t", ":", " : ", " :", ";", "; c",
           '"', "'", "';'", "!d = ", "Label:", ".loop", "+", "-", "db", "\n", "\r\n", "\\\n",
           ",\n", "\\", ",", "=", "NOP", "BRA +", "%M(1)"]


def _reference_statements(text):
    """What ``statements`` must give: every logical line split on ` : `."""
    return [s for number, line in logical_lines(text) for s in split_statements(number, line)]


@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_statements_are_the_logical_lines_split(text):
    assert statements(text) == _reference_statements(text)


@given(st.text(alphabet=st.sampled_from("LDA$12,X;:\\ \t\n\r\"'.+-!="), max_size=120))
def test_statements_of_any_text_are_the_logical_lines_split(text):
    assert statements(text) == _reference_statements(text)


def test_statements_number_lines_and_columns_like_split_statements():
    text = "Main:\n  LDA #$00 : STA $10 ; x\ndb $01,\n   $02\n\n  RTS :"
    assert [(s.line, s.column, s.text) for s in statements(text)] == [
        (1, 1, "Main:"), (2, 3, "LDA #$00"), (2, 14, "STA $10"), (3, 1, "db $01,$02"),
        (6, 3, "RTS"), (6, 7, ":")]


def test_instructions_over_shared_statements_are_the_instructions():
    text = "Main:\n- LDA $0D00, X : BEQ +\n.loop STA $10\ndb $01\n%Macro()\n+ RTS\n"
    assert list(statement_instructions(statements(text), MNEMONICS)) == \
        list(instructions(text, MNEMONICS))
    assert instruction_parts(".loop: LDA $12, X") == ("LDA", "$12,X")
    assert instruction_parts("db $01") is None


def test_semicolon_at_is_asar_s_at_prefix_not_a_comment():
    assert strip_comment(";@ pushpc") == "@ pushpc"
    assert strip_comment("  ;@ pullpc ; back") == "  @ pullpc "
    assert strip_comment("NOP ; a note ;@ not code") == "NOP "
    assert strip_comment('db ";@"') == 'db ";@"'
