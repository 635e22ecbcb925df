"""Strict, fast JSONL reading and atomic JSONL writing of samples.

Reading parses lines with orjson in chunks of a few MB and builds Arrow columns per chunk, so
memory stays near the size of the resulting table. Every bad line is an error naming the file
and line (or, with ``on_error="skip"``, a row in a rejects file plus a count in the report).
"""

from __future__ import annotations

import gc
import io
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.compute as pc

from afs.atomic_dir import atomic_outputs, atomic_write
from afs.errors import ConfigError, DataError
from afs.jsonl_input import ByteBlock, LineBlock, iter_byte_blocks, line_ends, line_problem
from afs.samples.arrow_json import literal, member_fragments, object_lines
from afs.samples.choices import ON_ERROR_CHOICES
from afs.samples.collection import SampleList
from afs.samples.frame import (
    EXTRA_COLUMN,
    FRAME_COLUMNS,
    empty_frame,
    normalize_frame,
    samples_to_frame,
)
from afs.samples.model import (
    CANONICAL_FIELDS,
    DEFAULT_DOMAIN,
    DERIVED_FIELDS,
    METADATA_KEY,
    REQUIRED_FIELDS,
    STRING_FIELDS,
    TrainingSample,
    compute_sample_id,
    sample_ids,
)
from afs.samples.reasons import rejects_path_beside

CHUNK_BYTES = 8 << 20
WRITE_CHUNK_ROWS = 50_000
_JSON_TYPE_NAMES = {dict: "object", list: "array", str: "string", int: "number", float: "number",
                    bool: "boolean", type(None): "null"}


@dataclass
class LoadReport:
    """What a read saw: rows kept, lines skipped and why, where the skipped lines went."""

    path: str
    rows: int = 0
    skipped: int = 0
    reasons: Counter = field(default_factory=Counter)
    rejects_path: str | None = None

    def summary(self) -> str:
        text = f"{self.path}: {self.rows} samples"
        if self.skipped:
            why = ", ".join(f"{reason} x{n}" for reason, n in self.reasons.most_common())
            text += f", skipped {self.skipped} bad lines ({why}) -> {self.rejects_path}"
        return text


def _json_type(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def record_problem(record: Any) -> str | None:
    """Why a parsed JSON value is not a valid sample record, or None when it is."""
    if type(record) is not dict:
        return f"expected a JSON object, got {_json_type(record)}"
    for key in REQUIRED_FIELDS:
        if key not in record or record[key] is None:
            return f"missing required field '{key}'"
    for key in STRING_FIELDS:
        value = record.get(key)
        if value is not None and type(value) is not str:
            return f"field '{key}' must be a string, got {_json_type(value)}"
    quality = record.get("quality_score")
    if quality is not None and type(quality) not in (int, float):
        return f"field 'quality_score' must be a number, got {_json_type(quality)}"
    metadata = record.get(METADATA_KEY)
    if metadata is not None and type(metadata) is not dict:
        return f"field '{METADATA_KEY}' must be an object, got {_json_type(metadata)}"
    return None


def _short_reason(problem: str) -> str:
    return problem.split(":")[0].split(",")[0]


def skipped_lines_path(source: str | Path, rejects_path: str | Path | None = None) -> Path:
    """Where a read with ``on_error="skip"`` puts the lines it skipped: ``rejects_path``, else
    the source's default rejects file (``rejects_path_beside``)."""
    return Path(rejects_path) if rejects_path else rejects_path_beside(source)


class _Rejects:
    """Collects skipped lines; writes them (atomically) only if there are any."""

    def __init__(self, source: Path, on_error: str, rejects_path: str | Path | None):
        if on_error not in ON_ERROR_CHOICES:
            raise ConfigError(f"on_error must be one of {ON_ERROR_CHOICES}, got {on_error!r}")
        self.source = source
        self.skip = on_error == "skip"
        self.path = skipped_lines_path(source, rejects_path)
        self.rows: list[dict[str, Any]] = []

    def add(self, line_number: int, problem: str, raw: bytes) -> None:
        if not self.skip:
            raise DataError(problem, self.source, line_number)
        self.rows.append({"file": str(self.source), "line": line_number, "error": problem,
                          "raw": raw.decode("utf-8", "backslashreplace").rstrip("\r\n")})

    def finish(self, report: LoadReport) -> None:
        report.skipped = len(self.rows)
        report.reasons = Counter(_short_reason(r["error"]) for r in self.rows)
        if self.rows:
            with atomic_write(self.path) as handle:
                handle.writelines(orjson.dumps(r) + b"\n" for r in self.rows)
            report.rejects_path = str(self.path)


def _parse_lines(block: LineBlock, rejects: _Rejects) -> tuple[list, list[int]]:
    """Parsed values of the block's non-blank lines, and each one's index in the block."""
    records, indexes = [], []
    for index, line in enumerate(block.lines):
        if not line.strip():
            continue
        try:
            records.append(orjson.loads(line))
            indexes.append(index)
        except orjson.JSONDecodeError:
            rejects.add(block.first_line + index, line_problem(line, block.offset(index)), line)
    return records, indexes


class _NeedsRowCheck(Exception):
    """The vectorised checks saw a problem; find and name the bad rows one by one."""


_KNOWN_KEYS = frozenset((*CANONICAL_FIELDS, *DERIVED_FIELDS, METADATA_KEY))


def _metadata_text(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is not dict:
        raise _NeedsRowCheck
    return orjson.dumps(value).decode() if value else None


def _extra_text(record: dict[str, Any]) -> str | None:
    if record.keys() <= _KNOWN_KEYS:
        return None
    return orjson.dumps({k: v for k, v in record.items() if k not in _KNOWN_KEYS}).decode()


def _records_to_table(records: list[Any]) -> pa.Table:
    """Arrow columns for parsed records; raises _NeedsRowCheck (or an Arrow error) on bad rows."""
    if any(type(r) is not dict for r in records):
        raise _NeedsRowCheck
    values = {key: [r.get(key) for r in records] for key in CANONICAL_FIELDS}
    if any(type(q) is bool for q in values["quality_score"]):
        raise _NeedsRowCheck
    # an integer past 2**53 is still a score (Arrow refuses to round it to a double)
    values["quality_score"] = [float(q) if type(q) is int else q for q in values["quality_score"]]
    values["input"] = [v if v is not None else "" for v in values["input"]]
    values["domain"] = [v if v is not None else DEFAULT_DOMAIN for v in values["domain"]]
    values["source"] = [v if v is not None else "" for v in values["source"]]
    columns = {key: pa.array(values[key], type=pa.float64() if key == "quality_score" else pa.string())
               for key in CANONICAL_FIELDS}
    if columns["instruction"].null_count or columns["output"].null_count:
        raise _NeedsRowCheck
    sample_ids = map(compute_sample_id, values["instruction"], values["input"], values["output"])
    columns = {"sample_id": pa.array(sample_ids, type=pa.string()), **columns}
    columns[METADATA_KEY] = pa.array([_metadata_text(r.get(METADATA_KEY)) for r in records],
                                     type=pa.string())
    columns[EXTRA_COLUMN] = pa.array([_extra_text(r) for r in records], type=pa.string())
    return pa.table(columns)


def _chunk_table(block: LineBlock, rejects: _Rejects) -> pa.Table | None:
    records, indexes = _parse_lines(block, rejects)
    try:
        return _records_to_table(records) if records else None
    except (_NeedsRowCheck, pa.ArrowInvalid, pa.ArrowTypeError):
        good = []
        for record, index in zip(records, indexes, strict=True):
            problem = record_problem(record)
            if problem:
                rejects.add(block.first_line + index, problem, block.lines[index])
            else:
                good.append(record)
        return _records_to_table(good) if good else None


def _block_table(block: ByteBlock, rejects: _Rejects) -> pa.Table | None:
    """The samples of a block: Arrow's parser when the block is plain (``_parsed_block``),
    else orjson line by line, which names every bad line."""
    table = _parsed_block(block.data)
    return table if table is not None else _chunk_table(block.line_block(), rejects)


# sample_id is read only to be recomputed (DERIVED_FIELDS): here so that it is no unknown key
_PARSED_SCHEMA = pa.schema([(key, pa.float64() if key == "quality_score" else pa.string())
                            for key in (*DERIVED_FIELDS, *CANONICAL_FIELDS)])
_METADATA_MEMBER = b',"_metadata":'


def _parsed_block(data: bytes) -> pa.Table | None:
    """The block's samples parsed by Arrow's JSON reader (multi-threaded, no Python object
    per row), or None when the block is not plain, for the line-by-line reader to decide.

    Plain: every line is one object (no blank line, no CR), holding only sample fields and,
    as its last member, ``"_metadata":{…}``. ``_metadata`` is cut out before Arrow parses the
    rest (its keys vary from row to row) and goes through orjson on its own; anything Arrow
    and orjson would read differently (duplicate keys, NaN, a wrong type, invalid UTF-8, an
    unknown key) sends the block to the line-by-line reader."""
    ends = line_ends(data)
    starts = np.concatenate([[0], ends[:-1] + 1])
    view = np.frombuffer(data, dtype=np.uint8)
    if not len(ends) or (ends - starts < 2).any() or (view[starts] != ord("{")).any() \
            or (view[ends - 1] != ord("}")).any():
        return None
    metadata_rows, metadata_spans, data = _cut_metadata(data, ends)
    try:
        table = pa_json.read_json(io.BytesIO(data), parse_options=pa_json.ParseOptions(
            explicit_schema=_PARSED_SCHEMA, unexpected_field_behavior="infer"))
        table.validate(full=True)  # UTF-8 of every text
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != len(ends) or table.column_names != _PARSED_SCHEMA.names:
        return None  # an unknown key (or a line Arrow read as two objects)
    metadata = _metadata_texts(metadata_rows, metadata_spans, len(ends))
    columns = {name: table.column(name).combine_chunks() for name in CANONICAL_FIELDS}
    quality = columns["quality_score"]
    if metadata is None or columns["instruction"].null_count or columns["output"].null_count:
        return None
    if quality.null_count < len(quality) and not pc.all(pc.is_finite(quality)).as_py():
        return None  # NaN or Infinity: orjson refuses them
    for key, default in (("input", ""), ("domain", DEFAULT_DOMAIN), ("source", "")):
        columns[key] = pc.fill_null(columns[key], default)
    ids = sample_ids(columns["instruction"], columns["input"], columns["output"])
    return pa.table({"sample_id": ids, **columns, METADATA_KEY: metadata,
                     EXTRA_COLUMN: pa.nulls(len(ends), pa.string())})


def _cut_metadata(data: bytes, ends: np.ndarray) -> tuple[np.ndarray, list[bytes], bytes]:
    """Rows with a ``,"_metadata":`` member, each one's value span (up to the line's closing
    brace) and the block without those members. Found inside another member instead, the cut
    leaves that member's braces unbalanced, and Arrow refuses the line."""
    found = []
    at = data.find(_METADATA_MEMBER)
    while at >= 0:  # bytes.find, a few per line at most: 5x faster than Arrow's per-line search
        found.append(at)
        at = data.find(_METADATA_MEMBER, at + 1)
    line_of = np.searchsorted(ends, found)
    rows, first = np.unique(line_of, return_index=True)  # a line's first one
    if not len(rows):
        return rows, [], data
    found = np.asarray(found, dtype=np.int64)[first]
    cut_from, cut_to = found.tolist(), (ends[rows] - 1).tolist()
    whole = memoryview(data)
    kept = b"".join([whole[a:b] for a, b in zip([0, *cut_to], [*cut_from, len(data)])])
    skip = len(_METADATA_MEMBER)
    return rows, [data[a + skip:b] for a, b in zip(cut_from, cut_to)], kept


def _metadata_texts(rows: np.ndarray, spans: list[bytes], size: int) -> pa.Array | None:
    """``_metadata`` as compact JSON text per row (None: absent, null or empty); None when a
    span is not one JSON object (the line-by-line reader says why)."""
    texts: list[str | None] = [None] * size
    for row, span in zip(rows.tolist(), spans, strict=True):
        try:
            value = orjson.loads(span)
        except orjson.JSONDecodeError:
            return None
        if value is not None and type(value) is not dict:
            return None
        texts[row] = orjson.dumps(value).decode() if value else None
    return pa.array(texts, type=pa.string())


def _progress(total: int, desc: str, enabled: bool, unit: str = "B"):
    from tqdm.auto import tqdm

    # disable=None: tqdm draws only on a terminal, so logs and pipes stay clean
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, disable=None if enabled else True,
                leave=False)


def iter_jsonl_tables(path: str | Path, on_error: str = "raise",
                      rejects_path: str | Path | None = None, progress: bool = False,
                      report: LoadReport | None = None, *, allow_empty: bool = False,
                      max_record_bytes: int | None = None) -> Iterator[pa.Table]:
    """The samples of a JSONL file as Arrow tables of a few MB each (canonical columns), for
    files too big to hold at once. Bad lines raise (or, ``on_error="skip"``, go to the
    rejects file once the file is read; ``report`` then counts them). The rules of
    :mod:`afs.jsonl_input` hold: a file without records is an error unless ``allow_empty``,
    a line over ``max_record_bytes`` always is."""
    path = Path(path).expanduser()
    rejects = _Rejects(path, on_error, rejects_path)
    blocks = iter_byte_blocks(path, max_record_bytes=max_record_bytes, allow_empty=allow_empty,
                              block_bytes=CHUNK_BYTES)
    with _progress(_size(path), path.name, progress) as bar:
        for block in blocks:
            with _gc_paused():
                table = _block_table(block, rejects)
            bar.update(len(block.data))
            if table is not None:
                yield table
    rejects.finish(report or LoadReport(path=str(path)))


def _size(path: Path) -> int | None:
    return path.stat().st_size if path.is_file() else None


def table_to_frame(table: pa.Table | None) -> pd.DataFrame:
    """A frame with the canonical dtypes from tables ``iter_jsonl_tables`` made."""
    return normalize_frame(table.to_pandas()) if table is not None else empty_frame()


def read_jsonl_frame(
    path: str | Path,
    on_error: str = "raise",
    rejects_path: str | Path | None = None,
    progress: bool = False,
    *,
    allow_empty: bool = False,
    max_record_bytes: int | None = None,
) -> tuple[pd.DataFrame, LoadReport]:
    """Read a JSONL file of samples into a frame (canonical columns) and a LoadReport.
    A file without records is an error unless ``allow_empty`` (see :mod:`afs.jsonl_input`)."""
    report = LoadReport(path=str(Path(path).expanduser()))
    tables = list(iter_jsonl_tables(path, on_error, rejects_path, progress, report,
                                    allow_empty=allow_empty, max_record_bytes=max_record_bytes))
    with _gc_paused():
        frame = table_to_frame(pa.concat_tables(tables) if tables else None)
    report.rows = len(frame)
    return frame, report


def _row_bytes(values: tuple, names: tuple[str, ...], added: tuple[str, ...]) -> bytes:
    record = {name: value for name, value in zip(names, values) if value is not None}
    metadata, extra = values[-2], values[-1]
    if extra is not None and added:  # a rejects file re-read and rejected again: merge, no twin keys
        record = {**orjson.loads(extra), **record}
        extra = None
    line = orjson.dumps(record)
    if extra is not None and extra != "{}":
        line = line[:-1] + b"," + extra[1:].encode()
    if metadata is not None and metadata != "{}":
        line = line[:-1] + b',"_metadata":' + metadata.encode() + b"}"
    return line


def _frame_chunks_as_lines(frame: pd.DataFrame) -> Iterator[bytes | memoryview]:
    """JSONL text of the frame, a chunk of rows at a time."""
    added = tuple(c for c in frame.columns if c not in FRAME_COLUMNS and not c.startswith("_"))
    names = ("sample_id", *CANONICAL_FIELDS, *added)
    ordered = [*names, METADATA_KEY, EXTRA_COLUMN]
    for start in range(0, len(frame), WRITE_CHUNK_ROWS):
        table = pa.Table.from_pandas(frame.iloc[start : start + WRITE_CHUNK_ROWS][ordered],
                                     preserve_index=False)
        yield _table_lines(table, names, added)


def _table_lines(table: pa.Table, names: tuple[str, ...], added: tuple[str, ...]) -> bytes | memoryview:
    """The rows of ``table`` as JSONL: the columns ``names`` in order (absent values left
    out), then the keys in ``_extra``, then ``_metadata`` (both JSON text, spliced in)."""
    extra = table.column(EXTRA_COLUMN)
    if added and extra.null_count < len(extra):  # rejects of a re-read rejects file: merge keys
        columns = [table.column(c).to_pylist() for c in table.column_names]
        return b"".join(_row_bytes(values, names, added) + b"\n" for values in zip(*columns))
    members = [member_fragments(name, table.column(name)) for name in names]
    members.append(_spliced_object(extra, ""))
    members.append(_spliced_object(table.column(METADATA_KEY), '"_metadata":'))
    return object_lines(members)


def _spliced_object(texts: pa.ChunkedArray, prefix: str) -> pa.Array:
    """``prefix`` + JSON object text + ``,`` per row (``prefix`` empty: the object's members,
    its braces dropped); null where the text is missing or ``{}``."""
    texts = texts.combine_chunks().cast(pa.large_string())
    if prefix:
        spliced = pc.binary_join_element_wise(literal(prefix), texts, literal(","), literal(""))
    else:
        spliced = pc.binary_join_element_wise(pc.utf8_slice_codeunits(texts, 1, -1), literal(","),
                                              literal(""))
    return pc.if_else(pc.equal(texts, "{}"), pa.scalar(None, spliced.type), spliced)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building millions of small acyclic objects (2x faster)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def write_jsonl_frame(frame: pd.DataFrame, path: str | Path, progress: bool = False) -> Path:
    """Write a sample frame as JSONL (atomically). Extra non-underscore columns become keys."""
    return write_jsonl_frames([frame], path, progress=progress, total=len(frame))


def write_jsonl_frames(frames: Iterable[pd.DataFrame], path: str | Path, progress: bool = False,
                       total: int | None = None) -> Path:
    """Write the rows of ``frames`` (produced one at a time, e.g. shard by shard) as one JSONL
    file, atomically: the file appears only once the last frame is written."""
    with jsonl_frame_writer(path, progress=progress, total=total) as write:
        for frame in frames:
            write(frame)
    return Path(path).expanduser()


def write_kept_and_rejects(kept: pd.DataFrame, path: str | Path, rejects: pd.DataFrame,
                           rejects_path: str | Path, progress: bool = False) -> Path | None:
    """Write the rows a step kept to ``path`` and those it dropped to ``rejects_path`` as one
    unit (:func:`afs.atomic_dir.atomic_outputs`): a kill leaves both files old or both new.
    Without rejected rows there is no rejects file (an old one is removed: it belongs to
    another run). Returns the rejects file written, or None."""
    with atomic_outputs([path, rejects_path]) as staged:
        kept_temp, rejects_temp = staged.values()
        write_jsonl_frame(kept, kept_temp, progress=progress)
        if len(rejects):
            write_jsonl_frame(rejects, rejects_temp)
    return Path(rejects_path).expanduser() if len(rejects) else None


@contextmanager
def jsonl_frame_writer(path: str | Path, progress: bool = False, total: int | None = None,
                       only_if_rows: bool = False) -> Iterator[Callable[[pd.DataFrame], None]]:
    """Yield a function that appends a frame's rows to the JSONL file ``path``, which appears
    (atomically) when the block ends without an error. ``only_if_rows``: no file at all when
    no row was written (rejects files)."""
    path = Path(path).expanduser()
    with ExitStack() as stack:
        opened: list[Any] = []

        def write(frame: pd.DataFrame) -> None:
            missing = [c for c in FRAME_COLUMNS if c not in frame.columns]
            if missing:
                raise ConfigError(f"cannot write {path}: frame lacks columns {missing}")
            if not opened:
                if only_if_rows and not len(frame):
                    return
                opened.append(stack.enter_context(atomic_write(path)))
                opened.append(stack.enter_context(_progress(total, path.name, progress, "rows")))
            handle, bar = opened
            with _gc_paused():
                for block in _frame_chunks_as_lines(frame):
                    handle.write(block)
                    bar.update(np.count_nonzero(np.frombuffer(block, dtype=np.uint8) == 10))

        yield write
        if not opened and not only_if_rows:
            write(empty_frame())


def write_samples(samples: Iterable[TrainingSample], path: str | Path) -> int:
    """Stream samples to a JSONL file (atomically: the file appears only when all are
    written); returns how many. Memory stays flat however many samples come."""
    count = 0
    with atomic_write(path) as handle:
        for sample in samples:
            handle.write(orjson.dumps(sample.to_dict()) + b"\n")
            count += 1
    return count


def load_jsonl(
    path: str | Path,
    on_error: str = "raise",
    rejects_path: str | Path | None = None,
    progress: bool = False,
    *,
    allow_empty: bool = False,
    max_record_bytes: int | None = None,
):
    """Read samples from a JSONL file as a ``SampleList`` (``.report`` says what was skipped)."""
    frame, report = read_jsonl_frame(path, on_error=on_error, rejects_path=rejects_path,
                                     progress=progress, allow_empty=allow_empty,
                                     max_record_bytes=max_record_bytes)
    return SampleList(frame, report=report)


def as_frame(samples: Any) -> pd.DataFrame:
    """Frame form of a SampleList, a DataFrame, or an iterable of samples or sample dicts."""
    if isinstance(samples, SampleList):
        return samples.frame
    if isinstance(samples, pd.DataFrame):
        return samples
    return samples_to_frame(_as_samples(samples))


def _as_samples(items: Iterable[Any]) -> Iterator[TrainingSample]:
    for index, item in enumerate(items):
        if isinstance(item, TrainingSample):
            yield item
        elif isinstance(item, dict):
            problem = record_problem(item)
            if problem:
                raise DataError(f"sample {index}: {problem}")
            yield TrainingSample.from_dict(item)
        else:
            raise DataError(f"sample {index}: expected a TrainingSample or dict, got "
                            f"{type(item).__name__}")


def save_jsonl(samples: Any, path: str | Path, progress: bool = False) -> Path:
    """Write samples (SampleList, list of TrainingSample or dicts, or a frame) as JSONL.

    ``save_jsonl(path, samples)`` works too: the path is recognised whichever comes first.
    """
    if isinstance(samples, (str, os.PathLike)) and not isinstance(path, (str, os.PathLike)):
        samples, path = path, samples
    return write_jsonl_frame(as_frame(samples), path, progress=progress)
