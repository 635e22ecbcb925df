"""Property tests: OracleTrainingGenerator gives a verdict, never an exception, on any mix of
asar pieces (well-formed or not), and every sample points at a real line of its file."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from afs.oracle import OracleTrainingGenerator

PIECES = [
    "Foo:", "Foo.bar:", "#Glob:", "?loc:", "  LDA.b #$", "  REP #%0011", "  SEP #$30", "{", "}",
    "struct X", "struct A $10 B", "struct S $7E0000", "  .a: db 1,2,3", "  .f: skip -1",
    "  .g: skip foo", "endstruct align 0", "endstruct", "macro M(", "macro N(a)", "endmacro",
    "namespace", "namespace Wisp", "namespace off", "if", "if !DEBUG", "endif", "else", "pushpc",
    "pullpc", "org $", "  JSL", "  JSL Foo", "  JSR (.t,X)", "  JML [$00]", "  STA $12,S",
    "Bar = $", "Baz = $7E00FF00", "Ram = $7E0100 ; a byte", "Q = Ram+", "; header text", "",
    "  dw .x", "!d = 3", "  LDA (($12)),Y", "  %M(1)", "  %Z(", "| a | b |", "|---|---|",
    "| 1 | 2 |", "# Heading", "## Sub", "```", "  LDA \";\"", "  db ';'", "\t\tSTA.l $7EF36C",
    "  BRA +", "+", "-", "  BNE -", "  RTS", "  RTL", "  LDA.w $0DD0, X ; slot state",
]
files = st.lists(st.lists(st.sampled_from(PIECES), max_size=40).map("\n".join),
                 min_size=1, max_size=3)


@settings(max_examples=60, deadline=None)
@given(files)
def test_any_mix_of_asar_pieces_gives_samples_that_point_at_real_lines(texts):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for number, text in enumerate(texts):
            (root / f"f{number}.asm").write_text(text, encoding="utf-8")
            (root / f"f{number}.md").write_text(text, encoding="utf-8")
        for sample in OracleTrainingGenerator(root).generate():
            path, _, line = sample.source.rpartition(":")
            lines = (root / path).read_text(encoding="utf-8").split("\n")
            assert 1 <= int(line) <= len(lines)
            assert 0.0 <= sample.quality_score <= 1.0
