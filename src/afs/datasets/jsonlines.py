"""`JSONLinesDataset`: a list of plain dict records as a JSONL file (trainer-format exports)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset

from afs.atomic_dir import complete_pending_commit
from afs.curation.export import write_records_jsonl
from afs.datasets.atomic import save_atomically
from afs.datasets.file_path import not_written_yet
from afs.jsonl_input import iter_json_lines


class JSONLinesDataset(AbstractDataset[list[dict[str, Any]], list[dict[str, Any]]]):
    """Local JSONL file <-> ``list[dict]``; writes are atomic (temp file, then rename; with
    ``file_set``, the whole set of files at once: :mod:`afs.datasets.atomic`).

    Records are written in order, one compact JSON object per line, without key sorting so
    that trainers see the field order the converter chose.
    """

    def __init__(self, *, filepath: str, metadata: dict[str, Any] | None = None,
                 written_by: str | None = None, load_args: dict[str, Any] | None = None,
                 file_set: list[str] | None = None) -> None:
        self._filepath = Path(filepath)
        self._written_by = written_by  # the pipeline that writes it, named when it is missing
        self._file_set = file_set  # the files of its folder published together with it
        self._load_args = dict(load_args or {})  # allow_empty, max_record_bytes (afs.jsonl_input)
        self.metadata = metadata

    def load(self) -> list[dict[str, Any]]:
        complete_pending_commit(self._filepath)  # a killed writer's committed set first
        if self._written_by and not self._filepath.is_file():
            raise not_written_yet(self._filepath, self._written_by)
        return [record for _, record in iter_json_lines(self._filepath, **self._load_args)]

    def save(self, data: list[dict[str, Any]]) -> None:
        save_atomically(self._filepath, lambda path: write_records_jsonl(data, path),
                        self._file_set)

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "load_args": self._load_args,
                "file_set": self._file_set}
