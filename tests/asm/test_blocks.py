"""Where the code is in a text (afs.asm.blocks): every line asar would read as an instruction,
label or command is code wherever it stands (issue 17 §1); prose stays prose, even when it
starts with a mnemonic."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afs.asm.blocks import CODE, LABEL, PROSE, code_blocks, code_lines, line_kind
from afs.quality.scorer import QualityScorer, ScoringConfig
from afs.asm.validator import validate, validate_sample

ROOT = Path(__file__).resolve().parents[2]
# the issue's output: 3 of its 4 lines instructions, 2 of them errors asar refuses
ZERO_HEALTH = "ZeroHealth:\n  STA #$00\n  LDB $7EF36D\n  RTL"


def test_bad_code_without_a_fence_is_validated_like_fenced_code():
    """It used to be 'no code in the output' (75% of its lines read as code, 80% needed) and
    valid; in a fence the same text was rejected."""
    plain, fenced = validate_sample(ZERO_HEALTH), validate_sample(f"```asm\n{ZERO_HEALTH}\n```")
    assert not plain.valid and [issue.line for issue in plain.errors] == [2, 3]
    assert [issue.code for issue in plain.errors] == [issue.code for issue in fenced.errors]


def test_code_mixed_with_prose_is_validated_at_its_own_lines():
    output = ("Here is a routine that clears the health.\n" + ZERO_HEALTH +
              "\nIt returns to the caller with the accumulator unchanged.\n"
              "For example:\n  JSL ZeroHealth")
    [(first, code)] = code_blocks(output)
    assert first == 2 and code.splitlines()[0] == "ZeroHealth:"
    assert "It returns" not in code and "For example" not in code and "JSL ZeroHealth" in code
    result = validate_sample(output)
    assert [issue.line for issue in result.errors] == [3, 4]  # the output's own line numbers
    lines = output.splitlines()
    assert "STA #$00" in lines[2] and "LDB" in lines[3]


def test_code_outside_fences_counts_beside_the_fenced_blocks():
    output = ("Intro.\n```asm\n  LDA $10\n```\nThen, unfenced:\n  STA $12,Z\n  RTS\n"
              "```python\nprint('LDA #$GG')\n```\nThe end.")
    blocks = code_blocks(output)
    assert [first for first, _ in blocks] == [3, 6]
    assert "print" not in "".join(code for _, code in blocks)  # other languages are not asar
    assert [issue.line for issue in validate_sample(output).errors] == [6]


@pytest.mark.parametrize("line", [
    "LDA loads the accumulator from memory.",
    "STA $10 to store it there",
    "LDA #$00 loads zero.",
    "And then.",
    "Bit 7 is the sign flag.",
    "For example:",
    "for example:",
    "If the sprite is dead, return.",
    "if $10 is zero",
    "see $10.",
    "print the value of the timer",
    "Note: this routine runs every frame",
    "- writes VMAIN",
    "- reads $10",
    "Use `LDA $10` to read it.",
    "use !SKIP to not place a tile but continue the stripe",
    "The $10 byte holds the mode.",
    "Input: A = sprite index",
    "Yes",
    "The end.",
])
def test_prose_is_not_code(line):
    assert line_kind(line) == PROSE
    assert code_blocks(line) == [] and validate_sample(line).lines == 0


@pytest.mark.parametrize("line", [
    "LDA $10", "lda.w #$1234", "STA #$00", "LDB $7EF36D", "LDA #$GG", "LDA $12,Z",
    "LDA ($10),Y", "LDA $10, X", "MVN $12,$34", "BRA +", "JSL Foo_Bar", "BRA .loop", "RTS",
    "LDA $10 + 2", "Main: LDA $10 : STA $12", "- LDA $10", "org $008000", "db $01, $02",
    'db "text", #$FF', "dw Foo, $1234", "Foo = $7E0010", "!x = $10", "%Move($10, $12)",
    "if !x == 1", "if a << 2 == 4", "for i = 0..4", 'assert pc() <= $018000, "too big"',
    "LDA.l <address>",
])
def test_instructions_commands_and_assignments_are_code(line):
    assert line_kind(line) == CODE
    assert code_blocks(f"Some prose here.\n{line}\nMore prose.")[0][0] == 2


@pytest.mark.parametrize("line", ["Main:", ".loop", "endif", "pushpc", "RTQ", "JSQ Foo",
                                  "incsrc ram.asm", "math pri on", "macro Move(a, b)", "{"])
def test_words_that_could_be_headings_are_code_next_to_code(line):
    """A label, a bare command or a word that is no instruction without an operand only code
    has (`RTQ`, `JSQ Foo`, but also `NMI Handler`) is code next to code; alone among prose it
    may be a heading, and is left out."""
    assert line_kind(line) == LABEL
    assert code_lines(["Prose.", line, "More prose."]) == [False, False, False]
    assert code_lines(["Prose.", line, "  LDA $10", "More prose."]) == [False, True, True, False]


@pytest.mark.parametrize("output", ["NMI", "yes", "Returns:", "; only a comment", "Main:\n; x"])
def test_an_output_of_labels_or_bare_words_alone_holds_no_code(output):
    """A one-word answer (`NMI`) is no program: code needs a line only code has."""
    assert code_blocks(output) == [] and validate_sample(output).valid


def test_continued_lines_belong_to_the_code_line_they_continue():
    lines = ["The table:", "  db $01,", "     $02,", "     $03", "That is all."]
    assert code_lines(lines) == [False, True, True, True, False]


def test_every_shipped_asm_file_is_code_from_its_first_line_to_its_last():
    files = sorted((ROOT / "data" / "01_raw" / "asm").rglob("*.asm"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert code_blocks(text) == [(1, text)], path


# -- the property: a line validate refuses is never waved through ---------------------------------

_WORDS = ["LDA", "lda", "STA", "STZ", "LDX", "JSL", "JMP", "BRA", "REP", "MVN", "INC", "ASL",
          "LDB", "STQ", "LDa", "org"]
_OPERANDS = ["#$00", "#$1234", "$12", "$1234", "$123456", "$12,X", "$12,Y", "$1234,Z", "($12),Y",
             "[$12]", "($12,X)", "$12,S", "#$GG", "$12+2", "#1", "Foo", ".loop", "$12,$34",
             "$10 + 2", "$7EF36D"]
_ANCHORS = ["LDA $10", "STA $7E0012,X", "LDX #$05", "INC", "RTS", "JSL $008000"]
_PROSE = ["LDA loads the accumulator from memory.", "The routine returns when done.",
          "For example:", "If the sprite is dead, return.", "Note: it runs every frame",
          "And then it stores the result,", "Bit 7 is the sign flag.", "", "See the table below."]


@st.composite
def _code_line(draw):
    """An instruction-shaped statement, maybe labelled: one asar reads as an instruction."""
    label = draw(st.sampled_from(["", "", "Foo: ", "- ", "+ "]))  # none needing context
    operand = draw(st.sampled_from(["", *_OPERANDS]))
    return f"{label}{draw(st.sampled_from(_WORDS))} {operand}".rstrip()


@st.composite
def _mixed_output(draw):
    """Prose and runs of code lines in any mix, some runs in asm fences. Each run holds an
    instruction only code could be: a word that is no instruction (`JSQ Foo`, `RTQ`) may be
    a heading alone among prose (see the test above), not inside code."""
    parts, code = [], []
    for _ in range(draw(st.integers(1, 8))):
        if draw(st.booleans()):
            parts.append(draw(st.sampled_from(_PROSE)))
            continue
        lines = draw(st.lists(_code_line(), min_size=1, max_size=4))
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(_ANCHORS)))
        code += lines
        indented = [f"  {line}" for line in lines]
        parts += ["```asm", *indented, "```"] if draw(st.booleans()) else indented
    return "\n".join(parts), code


_SCORER = QualityScorer(ScoringConfig.from_profile("asm"), model_path=None)


@settings(max_examples=300, deadline=None)
@given(_mixed_output())
def test_an_output_holding_a_line_validate_refuses_is_never_asar_valid(drawn):
    output, code = drawn
    refused = [line for line in code if validate(line).errors]
    if refused:
        assert not validate_sample(output).valid, refused
        score = _SCORER.score(output)
        assert score.asar_valid is False and score.components["asar"] == 0.0
