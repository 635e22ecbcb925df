"""A dataset file's fingerprint: sha256 of its bytes, its size and its row count.

The experiment registry records it, and a training run can log the same values, so that two
records of one dataset can be compared by hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from afs.errors import ConfigError


@dataclass(frozen=True)
class DatasetFingerprint:
    """A dataset file as the registry records it (``path`` absolute)."""

    path: str
    sha256: str
    rows: int | None
    bytes: int


def fingerprint_dataset(path: str | Path, label: str = "--dataset") -> DatasetFingerprint:
    """sha256 of the file's bytes, its size and its row count (None if unknown).

    A path that is not a file is a ConfigError ``<label> <path>: no such file``.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "no such file"
        raise ConfigError(f"{label} {path}: {what}")
    digest = hashlib.sha256()
    lines = 0
    with path.open("rb") as handle:
        for line in handle:  # line by line: hash and count in one pass, any file size
            digest.update(line)
            lines += bool(line.strip())
    return DatasetFingerprint(path=str(path.resolve()), sha256=digest.hexdigest(),
                              rows=_row_count(path, lines), bytes=path.stat().st_size)


def _row_count(path: Path, non_empty_lines: int) -> int | None:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_metadata(path).num_rows
    if suffix in (".csv", ".tsv"):
        return max(non_empty_lines - 1, 0)
    if suffix == ".json":  # a JSON array, else JSON lines
        import orjson

        try:
            data = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            return non_empty_lines
        return len(data) if isinstance(data, list) else None
    return non_empty_lines  # JSONL and other line-per-record text
