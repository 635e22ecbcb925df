import json

import pytest

from afs.errors import DataError
from afs.samples import load_jsonl, read_jsonl_frame, save_jsonl
from afs.samples.jsonl import write_jsonl_frame
from afs.training import load_jsonl as load_from_training, save_jsonl as save_from_training

from .helpers import make_frame, make_samples

GOOD = b'{"instruction": "i", "output": "o"}\n'


def write_lines(path, *lines: bytes):
    path.write_bytes(b"".join(lines))
    return path


@pytest.mark.parametrize(
    ("bad_line", "problem"),
    [
        (b'{"instruction": "i", "output": \n', "malformed JSON"),
        (b'["instruction", "output"]\n', "expected a JSON object, got array"),
        (b'"just text"\n', "expected a JSON object, got string"),
        (b'{"output": "o"}\n', "missing required field 'instruction'"),
        (b'{"instruction": "i"}\n', "missing required field 'output'"),
        (b'{"instruction": 3, "output": "o"}\n', "field 'instruction' must be a string, got number"),
        (b'{"instruction": "i", "output": "o", "quality_score": "high"}\n',
         "field 'quality_score' must be a number, got string"),
        (b'{"instruction": "i", "output": "o", "quality_score": true}\n',
         "field 'quality_score' must be a number, got boolean"),
        (b'{"instruction": "i", "output": "o", "_metadata": [1]}\n',
         "field '_metadata' must be an object, got array"),
        # the byte is counted from the start of the file: lines 1-3 take 36 + 1 + 36 bytes
        (b'{"instruction": "i\xff\xfe", "output": "o"}\n', "invalid UTF-8 at byte 91"),
    ],
)
def test_bad_line_names_file_line_and_problem(tmp_path, bad_line, problem):
    path = write_lines(tmp_path / "data.jsonl", GOOD, b"\n", GOOD, bad_line, GOOD)
    with pytest.raises(DataError) as caught:
        load_jsonl(path)
    assert str(caught.value).startswith(f"{path}:4: {problem}")
    assert caught.value.line == 4


def test_skip_mode_writes_rejects_and_reports_count(tmp_path):
    path = write_lines(tmp_path / "data.jsonl", GOOD, b"{nope\n", GOOD, b'{"output": "o"}\n')
    samples = load_jsonl(path, on_error="skip")
    assert len(samples) == 2
    report = samples.report
    assert report.skipped == 2 and report.rows == 2
    assert report.reasons == {"malformed JSON": 1, "missing required field 'instruction'": 1}
    rejects = [json.loads(line) for line in (tmp_path / "data.rejects.jsonl").read_text().splitlines()]
    assert [(r["line"], r["raw"]) for r in rejects] == [(2, "{nope"), (4, '{"output": "o"}')]
    assert "skipped 2 bad lines" in report.summary()


def test_skip_mode_with_explicit_rejects_path_and_no_bad_lines(tmp_path):
    path = write_lines(tmp_path / "data.jsonl", GOOD, GOOD)
    samples = load_jsonl(path, on_error="skip", rejects_path=tmp_path / "r.jsonl")
    assert len(samples) == 2 and samples.report.skipped == 0
    assert not (tmp_path / "r.jsonl").exists()


def test_blank_lines_and_crlf_are_fine(tmp_path):
    path = write_lines(tmp_path / "d.jsonl", b'{"instruction": "a", "output": "b"}\r\n', b"\r\n",
                       b'  \n', b'{"instruction": "c", "output": "d"}')
    assert [s.instruction for s in load_jsonl(path)] == ["a", "c"]


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_jsonl(tmp_path / "absent.jsonl")


def test_null_optional_fields_get_defaults(tmp_path):
    path = write_lines(tmp_path / "d.jsonl",
                       b'{"instruction": "a", "output": "b", "input": null, "domain": null, "thinking": null}\n')
    sample = load_jsonl(path)[0]
    assert (sample.input, sample.domain, sample.thinking, sample.source) == ("", "general", None, "")


def test_frame_round_trip_and_public_reexports(tmp_path):
    samples = make_samples(50)
    save_from_training(samples, tmp_path / "a.jsonl")
    loaded = load_from_training(tmp_path / "a.jsonl")
    assert list(loaded) == samples
    save_jsonl(tmp_path / "b.jsonl", loaded)  # (path, samples) order works too
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_write_is_atomic_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "out.jsonl"
    target.write_text("previous content\n")
    frame = make_frame(10)
    import afs.samples.jsonl as jsonl

    def explode(*_args, **_kwargs):
        yield b"partial line\n"
        raise RuntimeError("disk full")

    monkeypatch.setattr(jsonl, "_frame_chunks_as_lines", explode)
    with pytest.raises(RuntimeError):
        write_jsonl_frame(frame, target)
    assert target.read_text() == "previous content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_save_rejects_invalid_dicts_with_index():
    with pytest.raises(DataError, match="sample 1: missing required field 'output'"):
        save_jsonl([{"instruction": "a", "output": "b"}, {"instruction": "c"}], "/tmp/never.jsonl")


def test_reads_large_chunks_with_correct_line_numbers(tmp_path, monkeypatch):
    import afs.samples.jsonl as jsonl

    monkeypatch.setattr(jsonl, "CHUNK_BYTES", 100)  # many chunks
    lines = [GOOD] * 57 + [b'{"instruction": 1, "output": "o"}\n'] + [GOOD] * 3
    path = write_lines(tmp_path / "d.jsonl", *lines)
    with pytest.raises(DataError, match=r"d.jsonl:58: field 'instruction'"):
        read_jsonl_frame(path)
    frame, report = read_jsonl_frame(path, on_error="skip")
    assert len(frame) == 60 and report.skipped == 1


# --------------------------------------------------------- Arrow's parser and the line reader
PLAIN = [
    b'{"sample_id":"0","instruction":"i \\" \\\\ \\n \\u00e9 \\ud83d\\ude00","input":"","output":"o",'
    b'"domain":"asm","source":"s","quality_score":0.5,"_metadata":{"file":"a.asm","line":3}}\n',
    b'{ "instruction" : "spaced", "output" : "o", "thinking": "t", "quality_score": 1 }\n',
    b'{"instruction":"meta","output":"o","quality_score":1E2,"_metadata":{"b":[1,{"c":null}],"line":"x"}}\n',
    b'{"instruction":"empty meta","output":"o","input":null,"_metadata":{}}\n',
    b'{"instruction":"null meta","output":"o","domain":null,"_metadata":null}\n',
]
NOT_PLAIN = {  # what Arrow would read otherwise than orjson, or cannot keep: the line reader's
    "unknown key": b'{"instruction":"i","output":"o","zz":null}\n',
    "member inside another": b'{"instruction":"i","output":"o","x":{"q":1,"_metadata":{"z":1}}}\n',
    "metadata first": b'{"_metadata":{"z":1},"instruction":"i","output":"o"}\n',
    "member after metadata": b'{"instruction":"i","output":"o","_metadata":{"z":1},"k":2}\n',
    "duplicate key": b'{"instruction":"i","output":"a","output":"b"}\n',
    "two objects": b'{"instruction":"i","output":"o"} {"instruction":"j","output":"p"}\n',
    "blank line": b'\n',
    "CRLF": b'{"instruction":"i","output":"o"}\r\n',
}
BIG_SCORE = b'{"instruction":"i","output":"o","quality_score":123456789012345678}\n'


def test_plain_blocks_parse_as_the_line_reader_parses_them(tmp_path):
    from afs.jsonl_input import ByteBlock
    from afs.samples.jsonl import _chunk_table, _parsed_block, _Rejects

    data = b"".join(PLAIN * 3)
    parsed = _parsed_block(data)
    assert parsed is not None
    rejects = _Rejects(tmp_path / "x.jsonl", "raise", None)
    assert parsed.to_pylist() == _chunk_table(ByteBlock(data, 1, 0).line_block(), rejects).to_pylist()


@pytest.mark.parametrize("name", sorted(NOT_PLAIN))
def test_blocks_arrow_would_misread_go_line_by_line(tmp_path, name):
    from afs.samples.jsonl import _parsed_block

    data = b"".join(PLAIN) + NOT_PLAIN[name]
    assert _parsed_block(data) is None
    path = write_lines(tmp_path / "d.jsonl", data)
    if name == "two objects":  # orjson's verdict, with the line
        with pytest.raises(DataError, match=r"d\.jsonl:6: malformed JSON"):
            read_jsonl_frame(path)
        return
    frame, _ = read_jsonl_frame(path)
    assert len(frame) == len(PLAIN) + (name != "blank line")


def test_a_score_past_2_to_the_53_is_read_as_a_float(tmp_path):
    """Before, the line reader's Arrow conversion refused it with an ArrowInvalid."""
    for lines in ([BIG_SCORE], [BIG_SCORE, b"\n"]):  # Arrow's parser, the line reader
        frame, _ = read_jsonl_frame(write_lines(tmp_path / "d.jsonl", *lines))
        assert frame["quality_score"].tolist() == [1.2345678901234568e17]


def test_written_lines_are_what_the_per_row_writer_wrote(tmp_path):
    """The column writer against the row writer it replaced (orjson per record), on rows with
    every kind of value, unknown keys, metadata and columns a step added."""
    import numpy as np
    import orjson

    from afs.samples.frame import row_to_record

    with_extra, _ = read_jsonl_frame(write_lines(
        tmp_path / "in.jsonl", *PLAIN, b'{"instruction":"x","output":"o","zz":[1],"y":null}\n'))
    added, _ = read_jsonl_frame(write_lines(tmp_path / "in2.jsonl", *PLAIN))
    added["reject_reason"] = ["r"] * (len(added) - 1) + [None]
    added["count"] = np.arange(len(added))
    for frame in (with_extra, added):
        write_jsonl_frame(frame, tmp_path / "out.jsonl")
        rows = [orjson.dumps(row_to_record(r)) + b"\n" for r in frame.to_dict("records")]
        assert (tmp_path / "out.jsonl").read_bytes() == b"".join(rows)
