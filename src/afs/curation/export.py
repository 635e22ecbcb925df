"""Export sample frames and JSONL files to a trainer format (record shapes:
``afs.samples.formats``), written atomically."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from afs.atomic_dir import atomic_outputs, atomic_write
from afs.samples.arrow_json import json_texts, literal
from afs.samples.formats import Converter, get_converter
from afs.samples.jsonl import LoadReport, read_jsonl_frame, skipped_lines_path


PARTS = ("instruction", "input", "output", "thinking")
# Stand-ins for the parts while a converter builds a record's shape (private-use characters:
# orjson writes them as they are, and no converter changes them).
_SLOTS = dict(zip(PARTS, ("\ue000", "\ue001", "\ue002", "\ue003"), strict=True))
_SLOT_PATTERN = re.compile("(" + "|".join(_SLOTS.values()) + ")")
_PART_OF_SLOT = {slot: part for part, slot in _SLOTS.items()}


def _iter_converted(frame: pd.DataFrame, converter: Converter) -> Iterator[dict[str, Any]]:
    columns = [frame[c].tolist() for c in PARTS]
    for instruction, input_, output, thinking in zip(*columns, strict=True):
        yield converter.convert_parts(instruction, input_, output, thinking)


def _record_shape(converter: Converter, has_input: bool, has_thinking: bool) -> list[str]:
    """The JSON text of the converter's record cut at the parts: literal text and part names
    alternate (a record is the parts put together with fixed text: Alpaca's keys, a chat's
    roles, ``<think>`` tags, the blank line between instruction and input)."""
    record = converter.convert_parts(_SLOTS["instruction"], _SLOTS["input"] if has_input else "",
                                     _SLOTS["output"], _SLOTS["thinking"] if has_thinking else None)
    pieces = _SLOT_PATTERN.split(orjson.dumps(record).decode())
    return [_PART_OF_SLOT.get(piece, piece) if index % 2 else piece
            for index, piece in enumerate(pieces)]


def converted_lines(frame: pd.DataFrame, converter: Converter) -> bytes | memoryview:
    """The JSONL text of every row of ``frame`` in the converter's format, built per column
    (Arrow joins of each part's JSON text into each case's record shape); per row through
    ``convert_parts`` when a part is missing or a shape does not reproduce its first row."""
    table = pa.Table.from_pandas(frame[list(PARTS)], preserve_index=False)
    if any(table.column(part).null_count for part in PARTS[:3]):
        return _rows_as_lines(frame, converter)
    texts = {part: json_texts(table.column(part)) for part in PARTS}
    thinking = table.column("thinking")
    has_thinking = pc.fill_null(pc.not_equal(thinking, ""), False).to_numpy(zero_copy_only=False)
    has_input = pc.not_equal(table.column("input"), "").to_numpy(zero_copy_only=False)
    cases = has_input * 2 + has_thinking
    parts, positions = [], []
    for case in np.unique(cases).tolist():
        rows = np.flatnonzero(cases == case)
        shape = _record_shape(converter, case >= 2, case % 2 == 1)
        pieces = [literal(piece) if index % 2 == 0 else texts[piece].take(rows)
                  for index, piece in enumerate(shape)]
        lines = pc.binary_join_element_wise(*pieces, literal("\n"), literal(""))
        first = frame.iloc[int(rows[0])]
        expected = orjson.dumps(converter.convert_parts(*(first[p] for p in PARTS))) + b"\n"
        if lines[0].as_py().encode() != expected:
            return _rows_as_lines(frame, converter)
        parts.append(lines)
        positions.append(rows)
    if not parts:
        return b""
    joined = pa.concat_arrays(parts).take(np.argsort(np.concatenate(positions), kind="stable"))
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64)[:len(joined) + 1]
    return memoryview(joined.buffers()[2])[offsets[0]:offsets[-1]]


def _rows_as_lines(frame: pd.DataFrame, converter: Converter) -> bytes:
    return b"".join(orjson.dumps(record) + b"\n" for record in _iter_converted(frame, converter))


def write_converted(frame: pd.DataFrame, converter: Converter, path: str | Path,
                    chunk: int = 50_000) -> int:
    """Write every row of ``frame`` in the converter's format as JSONL, atomically; returns
    how many rows were written."""
    with atomic_write(path) as handle:
        for start in range(0, len(frame), chunk):
            handle.write(converted_lines(frame.iloc[start:start + chunk], converter))
    return len(frame)


def convert_frame(frame: pd.DataFrame, fmt: str, thinking: str = "inline",
                  system_prompt: str | None = None) -> list[dict[str, Any]]:
    """Records in trainer format ``fmt`` for every row of a sample frame."""
    return list(_iter_converted(frame, get_converter(fmt, thinking, system_prompt)))


def write_records_jsonl(records: Any, path: str | Path, chunk: int = 50_000) -> int:
    """Write dict records as JSONL, atomically; returns how many were written."""
    written = 0
    buffer: list[bytes] = []
    with atomic_write(path) as handle:
        for record in records:
            buffer.append(orjson.dumps(record))
            if len(buffer) >= chunk:
                handle.write(b"\n".join(buffer) + b"\n")
                written += len(buffer)
                buffer.clear()
        if buffer:
            handle.write(b"\n".join(buffer) + b"\n")
            written += len(buffer)
    return written


@dataclass
class ConvertResult:
    """Rows written, and what the read of the input saw (lines skipped with on_error="skip")."""

    written: int
    report: LoadReport


def convert_jsonl(
    input_path: str | Path,
    output_path: str | Path,
    fmt: str,
    thinking: str = "inline",
    system_prompt: str | None = None,
    on_error: str = "raise",
    rejects_path: str | Path | None = None,
    progress: bool = False,
    *,
    allow_empty: bool = False,
    max_record_bytes: int | None = None,
) -> ConvertResult:
    """Read samples from ``input_path`` and write them to ``output_path`` in format ``fmt``
    (an input without records is an error unless ``allow_empty``). With ``on_error="skip"``
    the output and the file of skipped lines are committed as one unit (no line skipped: an
    old file of skipped lines is removed)."""
    converter = get_converter(fmt, thinking, system_prompt)
    output_path = Path(output_path).expanduser()
    skipped = skipped_lines_path(Path(input_path).expanduser(), rejects_path)
    outputs = [output_path, skipped] if on_error == "skip" else [output_path]
    with atomic_outputs(outputs) as staged:
        frame, report = read_jsonl_frame(input_path, on_error=on_error,
                                         rejects_path=staged.get(skipped, rejects_path),
                                         progress=progress, allow_empty=allow_empty,
                                         max_record_bytes=max_record_bytes)
        written = write_converted(frame, converter, staged[output_path])
    if report.rejects_path is not None:
        report.rejects_path = str(skipped)
    return ConvertResult(written, report)
