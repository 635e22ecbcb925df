"""afs.jsonl_input: the one set of rules every JSONL reader follows."""

from __future__ import annotations

import codecs
import tracemalloc

import pytest

from afs.config import DEFAULT_MAX_RECORD_BYTES, load_config
from afs.errors import ConfigError, DataError
from afs.jsonl_input import (
    iter_json_lines,
    iter_json_lines_with_ends,
    iter_line_blocks,
    record_limit,
)

BOM = codecs.BOM_UTF8


def lines_of(path, **options):
    return [(block.first_line + i, line) for block in iter_line_blocks(path, **options)
            for i, line in enumerate(block.lines)]


def test_a_bom_is_dropped_and_still_counted_in_byte_offsets(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(BOM + b'{"a": 1}\n{"b": "\xff"}\n')
    with pytest.raises(DataError) as caught:
        list(iter_json_lines(path))
    # line 2 starts at byte 3 (BOM) + 9; the bad byte is the 7th of the line
    assert str(caught.value) == f"{path}:2: invalid UTF-8 at byte {3 + 9 + 7}"
    path.write_bytes(BOM + b'{"a": 1}\r\n')
    assert list(iter_json_lines(path)) == [(1, {"a": 1})]


@pytest.mark.parametrize("block_bytes", [1, 3, 7, 64, 1 << 20])
def test_lines_and_numbers_do_not_depend_on_the_block_size(tmp_path, block_bytes):
    data = b'{"a": 1}\n\n  \n{"b": "' + b"x" * 100 + b'"}\r\n{"c": 3}'
    path = tmp_path / "d.jsonl"
    path.write_bytes(data)
    parts = data.split(b"\n")
    assert lines_of(path, block_bytes=block_bytes) == list(enumerate(parts, 1))
    offsets = [block.offset(i) for block in iter_line_blocks(path, block_bytes=block_bytes)
               for i in range(len(block.lines))]
    assert offsets == [sum(len(part) + 1 for part in parts[:i]) for i in range(len(parts))]


def test_each_record_comes_with_the_bytes_read_through_its_line(tmp_path):
    """What a progress bar over the file size counts: never past the file's size (the last
    line has no newline, a BOM counts), whatever the records parse to."""
    path = tmp_path / "ends.jsonl"
    data = BOM + b'{"a": 1}\n\n{"b": "\xc3\xa9"}\r\n{"c": 3}'
    path.write_bytes(data)
    ends = [(number, end) for number, _, end in iter_json_lines_with_ends(path)]
    assert ends == [(1, 3 + 9), (3, 3 + 9 + 1 + 13), (4, len(data))]
    assert [(n, v) for n, v, _ in iter_json_lines_with_ends(path)] == \
        list(iter_json_lines(path))


@pytest.mark.parametrize("data", [b"", b"\n", b"  \r\n\t\n", BOM, BOM + b"\n \n"])
def test_an_input_without_records_is_an_error_unless_allowed(tmp_path, data):
    path = tmp_path / "e.jsonl"
    path.write_bytes(data)
    with pytest.raises(DataError) as caught:
        list(iter_json_lines(path))
    assert str(caught.value) == f"{path}: empty input (no records)"
    assert list(iter_json_lines(path, allow_empty=True)) == []


def test_a_folder_is_named_as_a_folder(tmp_path):
    with pytest.raises(DataError) as caught:
        list(iter_json_lines(tmp_path))
    assert str(caught.value) == f"{tmp_path}: is a folder, not a file"
    with pytest.raises(DataError, match="absent.jsonl: no such file"):
        list(iter_json_lines(tmp_path / "absent.jsonl"))


@pytest.mark.parametrize("tail", [b"\n", b"", b'\n{"c": 3}\n'])
@pytest.mark.parametrize("block_bytes", [16, 1 << 20])
def test_a_record_over_the_limit_is_an_error_with_its_size(tmp_path, tail, block_bytes):
    path = tmp_path / "big.jsonl"
    big = b'{"b": "' + b"x" * 500 + b'"}'
    path.write_bytes(b'{"a": 1}\n' + big + tail)
    with pytest.raises(DataError) as caught:
        list(iter_json_lines(path, max_record_bytes=100))
    assert str(caught.value) == (f"{path}:2: record is {len(big)} bytes, over the limit of 100 "
                                 "(max_record_bytes)")
    assert len(list(iter_json_lines(path, max_record_bytes=len(big)))) == 2 + (b"c" in tail)


def test_an_oversize_line_is_measured_in_bounded_memory(tmp_path):
    path = tmp_path / "huge.jsonl"
    size = 40 << 20
    with open(path, "wb") as handle:
        handle.write(b'{"a": 1}\n{"b": "')
        for _ in range(size >> 20):
            handle.write(b"x" * (1 << 20))
    limit, block = 1 << 20, 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=r"huge.jsonl:2: record is \d+ bytes, over the limit"):
            list(iter_line_blocks(path, max_record_bytes=limit, block_bytes=block))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 6 * (limit + block), peak  # never the 40 MB line, let alone 7 GB


def test_the_limit_comes_from_the_call_else_the_setting(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AFS_GENERAL_MAX_RECORD_BYTES", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert record_limit() == DEFAULT_MAX_RECORD_BYTES == load_config().general.max_record_bytes
    monkeypatch.setenv("AFS_GENERAL_MAX_RECORD_BYTES", "50")
    assert record_limit() == 50 and record_limit(7) == 7
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"a": "' + b"x" * 60 + b'"}\n')
    with pytest.raises(DataError, match="record is 69 bytes, over the limit of 50"):
        list(iter_json_lines(path))
    (tmp_path / "afs.toml").write_text("[general]\nmax_record_bytes = 100\n")
    monkeypatch.delenv("AFS_GENERAL_MAX_RECORD_BYTES")
    assert record_limit() == 100 and len(list(iter_json_lines(path))) == 1
    with pytest.raises(ConfigError, match="max_record_bytes must be a positive"):
        record_limit(0)


def test_on_error_skip_rejects_bad_utf8_with_its_offset_but_never_an_oversize_record(tmp_path):
    from afs.samples import load_jsonl

    good = b'{"instruction": "i", "output": "o"}\n'
    path = tmp_path / "d.jsonl"
    path.write_bytes(good + b'{"instruction": "\xff", "output": "o"}\n' + good)
    samples = load_jsonl(path, on_error="skip", rejects_path=tmp_path / "r.jsonl")
    at = len(good) + len(b'{"instruction": "')  # the bad byte, counted from the file's start
    assert len(samples) == 2 and samples.report.reasons == {f"invalid UTF-8 at byte {at}": 1}
    big = b'{"instruction": "' + b"x" * 200 + b'", "output": "o"}'
    path.write_bytes(good + big + b"\n")
    with pytest.raises(DataError, match=f"d.jsonl:2: record is {len(big)} bytes, over the limit"):
        load_jsonl(path, on_error="skip", max_record_bytes=100)


def test_whole_file_readers_word_invalid_utf8_alike(tmp_path):
    """Files read whole (address tables, metadata.json, corpora, generator sources) report
    invalid UTF-8 as the JSONL readers do: FILE:LINE: invalid UTF-8 at byte N, N counted in
    the file with its BOM."""
    from afs.context.layout import load_metadata_file
    from afs.jsonl_input import decode_utf8
    from afs.knowledge.loaders import load_entries
    from afs.tokenizer.training import read_corpus

    data = codecs.BOM_UTF8 + b'{"a": 1,\n "b": "caf\xe9"}\n'
    assert decode_utf8(codecs.BOM_UTF8 + b"LDA #$00\n") == "LDA #$00\n"
    for name, read in (("table.json", load_entries), ("metadata.json", load_metadata_file),
                       ("corpus.asm", lambda path: read_corpus([path]))):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(DataError) as error:
            read(path)
        assert str(error.value) == f"{path}:2: invalid UTF-8 at byte 22"
