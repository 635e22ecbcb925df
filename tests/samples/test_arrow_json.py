"""afs.samples.arrow_json writes what orjson writes, value by value, for whole Arrow columns."""

import math

import orjson
import pyarrow as pa
import pytest

from afs.samples.arrow_json import escaped_lengths, json_fragments, member_fragments, object_lines

TEXTS = ["", "plain", 'quote " and \\ backslash', "\n\r\t\b\f", "".join(map(chr, range(32))),
         "\x7f é 😀 \u2028 \ufeff", '","', 'ends in \\', '\\",\\"', None, "a" * 5000]


def expected(values):
    return [None if v is None or (isinstance(v, float) and math.isnan(v))
            else orjson.dumps(v).decode() + "," for v in values]


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_strings_are_escaped_as_orjson_escapes_them(kind):
    array = pa.array(TEXTS, type=kind)
    assert json_fragments(array).to_pylist() == expected(TEXTS)
    present = pa.array([t for t in TEXTS if t is not None], type=kind)
    assert escaped_lengths(present).tolist() == [len(orjson.dumps(t)) for t in present.to_pylist()]


@pytest.mark.parametrize("values", [
    [0.686, 1.0, 0.0, -0.0, 1e16, 3.4916983049360084e-06, 1e-7, 123456789.0, None, float("nan")],
    [1, -5, None, 2**62],
    [True, None, False],
])
def test_numbers_and_booleans_as_orjson_writes_them(values):
    assert json_fragments(pa.array(values)).to_pylist() == expected(values)


def test_other_values_and_chunked_columns():
    nested = pa.array([{"a": 1}, None, {"a": 2}])
    assert json_fragments(nested).to_pylist() == expected([{"a": 1}, None, {"a": 2}])
    chunked = pa.chunked_array([["x"], ["y", None]])
    assert json_fragments(chunked).to_pylist() == ['"x",', '"y",', None]


def test_object_lines_leave_absent_members_out():
    parts = [member_fragments("a", pa.array(["x", None])), member_fragments("b", pa.array([1.5, 2.0]))]
    assert bytes(object_lines(parts)) == b'{"a":"x","b":1.5}\n{"b":2.0}\n'
