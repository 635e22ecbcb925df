"""JSON text of whole Arrow columns, byte for byte what ``orjson.dumps`` writes for each value,
without a Python loop per row.

orjson turns a column's values into one JSON array in a single C call; the element boundaries
in that text are then known without parsing it back: a number never holds a comma, and a
string's JSON text is its UTF-8 bytes, two quotes and one extra byte for each of ``"``, ``\\``,
``\\b\\f\\n\\r\\t`` (five for any other control character, ``\\u00XX``). Each element keeps the
``,`` that follows it, so a row's fields join into an object with one ``concat`` per row
(Arrow's ``binary_join_element_wise``) and the last comma becomes the closing brace.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

# Bytes orjson adds when escaping each byte of a string's UTF-8 text.
_ESCAPE_EXTRA = np.zeros(256, dtype=np.uint8)
_ESCAPE_EXTRA[:0x20] = 5  # \u00XX
_ESCAPE_EXTRA[[0x08, 0x09, 0x0A, 0x0C, 0x0D, ord('"'), ord("\\")]] = 1  # \b \t \n \f \r \" \\
_COMMA, _CLOSE, _NEWLINE = ord(","), ord("}"), ord("\n")


def literal(text: str) -> pa.Scalar:
    """A text constant to join with columns (Arrow joins only strings of one width)."""
    return pa.scalar(text, pa.large_string())


def _contiguous(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _text_buffers(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (rebased to 0) and UTF-8 bytes of a string array, as numpy views."""
    array = array.cast(pa.large_string())
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset:array.offset + len(array) + 1]
    data = array.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return offsets - offsets[0], data[offsets[0]:offsets[-1]]


def escaped_lengths(array: pa.Array) -> np.ndarray:
    """Length in bytes of each string's JSON text (quotes included), as orjson writes it."""
    offsets, data = _text_buffers(array)
    special = np.flatnonzero((data < 0x20) | (data == 0x22) | (data == 0x5C))  # few: SIMD compares
    extra_before = np.concatenate([[0], np.cumsum(_ESCAPE_EXTRA[data[special]], dtype=np.int64)])
    extra = extra_before[np.searchsorted(special, offsets)]
    return np.diff(offsets) + np.diff(extra) + 2


def _split_array_text(text: bytes, ends: np.ndarray) -> pa.Array:
    """The elements of orjson's ``[a,b,…,dummy]``, each with the separator after it: element i
    is ``text[ends[i-1] : ends[i]]`` (``ends[-1]`` the byte after the first element's '[')."""
    offsets = np.concatenate([[1], ends]).astype(np.int64)
    return pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(text))


def _string_fragments(array: pa.Array) -> pa.Array:
    filled = pc.fill_null(array, "") if array.null_count else array
    text = orjson.dumps([*filled.to_pylist(), ""])  # the dummy gives the last element its ','
    ends = 1 + np.cumsum(escaped_lengths(filled) + 1)
    if len(ends) and ends[-1] + 3 != len(text):  # '""]' of the dummy: never off, but be exact
        return _row_fragments(filled)
    return _split_array_text(text, ends)


def _scalar_fragments(array: pa.Array) -> pa.Array:
    """Numbers and booleans: their JSON text never holds a comma."""
    text = orjson.dumps([*array.to_pylist(), 0])
    commas = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == _COMMA)
    return _split_array_text(text, commas + 1)


def _row_fragments(array: pa.Array) -> pa.Array:
    return pa.array([orjson.dumps(v) + b"," for v in array.to_pylist()], type=pa.large_binary())\
        .cast(pa.large_string())


def _absent(array: pa.Array) -> pa.Array | None:
    """Rows whose value is left out of the record: null, and NaN (pandas' missing float)."""
    missing = pc.is_null(array, nan_is_null=True) if pa.types.is_floating(array.type) \
        else pc.is_null(array)
    return missing if pc.any(missing).as_py() else None


def json_fragments(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each value's JSON text followed by ``,``; null where the value is null (or NaN)."""
    array = _contiguous(array)
    absent = _absent(array)
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        fragments = _string_fragments(array)
    elif pa.types.is_floating(kind) or pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        filler = pa.scalar(False if pa.types.is_boolean(kind) else 0, kind)
        fragments = _scalar_fragments(pc.fill_null(array, filler) if absent is not None else array)
    else:
        fragments = _row_fragments(array)
    if absent is not None:
        fragments = pc.if_else(absent, pa.scalar(None, fragments.type), fragments)
    return fragments


def json_texts(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each string's JSON text between its quotes (what it adds inside a longer string)."""
    return pc.utf8_slice_codeunits(json_fragments(array), 1, -2)


def member_fragments(name: str, array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``"name":value,`` for each row; null where the value is absent (the key is left out)."""
    return pc.binary_join_element_wise(literal(orjson.dumps(name).decode() + ":"),
                                       json_fragments(array), literal(""))


def object_lines(parts: Sequence[pa.Array]) -> memoryview:
    """JSONL text of rows whose members are ``parts`` (each ``"key":value,`` or null for an
    absent member), in order: ``{`` + members + ``}\\n`` per row. Every row needs one member."""
    joined = _contiguous(pc.binary_join_element_wise(
        literal("{"), *parts, literal("\n"), literal(""), null_handling="replace",
        null_replacement=""))
    offsets, data = _text_buffers(joined)
    data = data.copy()
    data[offsets[1:] - 2] = _CLOSE  # the comma after the last member
    return memoryview(data)
