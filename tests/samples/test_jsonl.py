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
