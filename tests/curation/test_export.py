"""Trainer-format files are built per column; each line is what the per-record converter
writes (orjson of ``convert_parts``)."""

import orjson
import pandas as pd
import pytest

from afs.curation.export import _iter_converted, convert_jsonl, converted_lines
from afs.samples.formats import FORMATS, THINKING_MODES, get_converter
from afs.samples.frame import samples_to_frame
from afs.samples.model import TrainingSample

ROWS = [
    ("plain", "", "LDA #$01", None),
    ("with input", "LDA $10\nSTA $12", 'answer with "quotes" and \\', ""),
    ("thinking", "", "RTS", "think \u2028 é 😀 \x01"),
    ("both", "code", "out", "why"),
]


def rows_frame():
    return samples_to_frame([TrainingSample(instruction=i, input=n, output=o, thinking=t)
                             for i, n, o, t in ROWS])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("thinking", THINKING_MODES)
@pytest.mark.parametrize("system_prompt", [None, "You write 65816 asm."])
def test_lines_are_what_the_converter_writes_per_record(fmt, thinking, system_prompt):
    converter = get_converter(fmt, thinking, system_prompt)
    frame = rows_frame()
    expected = b"".join(orjson.dumps(r) + b"\n" for r in _iter_converted(frame, converter))
    assert bytes(converted_lines(frame, converter)) == expected


def test_a_missing_part_is_converted_as_before_row_by_row():
    frame = rows_frame()
    frame.loc[0, "input"] = None  # a frame not read from JSONL can hold a missing input
    converter = get_converter("openai")
    expected = b"".join(orjson.dumps(r) + b"\n" for r in _iter_converted(frame, converter))
    assert bytes(converted_lines(frame, converter)) == expected


def test_convert_jsonl_writes_every_row_in_order(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(orjson.dumps({"instruction": f"q{i}", "output": f"a{i}",
                                            "input": "x" if i % 3 else ""}).decode() + "\n"
                              for i in range(10)))
    result = convert_jsonl(source, tmp_path / "out.jsonl", "alpaca")
    lines = [orjson.loads(line) for line in (tmp_path / "out.jsonl").read_bytes().splitlines()]
    assert result.written == 10
    assert [r["instruction"] for r in lines] == [f"q{i}" for i in range(10)]
    assert pd.Series([r["input"] for r in lines]).eq("").sum() == 4
