"""Export sample frames and JSONL files to a trainer format (record shapes:
``afs.samples.formats``), written atomically."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from afs.atomic_dir import atomic_outputs, atomic_write
from afs.samples.formats import Converter, get_converter
from afs.samples.jsonl import LoadReport, read_jsonl_frame, skipped_lines_path


def _iter_converted(frame: pd.DataFrame, converter: Converter) -> Iterator[dict[str, Any]]:
    columns = [frame[c].tolist() for c in ("instruction", "input", "output", "thinking")]
    for instruction, input_, output, thinking in zip(*columns, strict=True):
        yield converter.convert_parts(instruction, input_, output, thinking)


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
        written = write_records_jsonl(_iter_converted(frame, converter), staged[output_path])
    if report.rejects_path is not None:
        report.rejects_path = str(skipped)
    return ConvertResult(written, report)
