"""`JSONLinesDataset`: a list of plain dict records as a JSONL file (trainer-format exports)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from kedro.io import AbstractDataset

from afs.training.converters import write_records_jsonl


class JSONLinesDataset(AbstractDataset[list[dict[str, Any]], list[dict[str, Any]]]):
    """Local JSONL file <-> ``list[dict]``; writes are atomic (temp file, then rename).

    Records are written in order, one compact JSON object per line, without key sorting so
    that trainers see the field order the converter chose.
    """

    def __init__(self, *, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = Path(filepath)
        self.metadata = metadata

    def load(self) -> list[dict[str, Any]]:
        with open(self._filepath, "rb") as handle:
            return [orjson.loads(line) for line in handle if line.strip()]

    def save(self, data: list[dict[str, Any]]) -> None:
        write_records_jsonl(data, self._filepath)

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
