"""`MemoryGenerator`: an agent's memory entries (``.context/memory``) as training samples.

Entries come from ``*.jsonl`` (one per line), ``*.json`` (one object or an array) and ``*.md``
(``## Q`` / ``## A`` sections) files anywhere under the root, in sorted path order and file
order. Formats: docs/context_format.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from afs.context.markdown import markdown_entries
from afs.context.records import (
    ContextGenerator,
    EntryError,
    json_document,
    json_lines,
    json_type,
    parse_tags,
    text_field,
)
from afs.errors import ConfigError
from afs.generators.base import TrainingSample
from afs.generators.files import walk_files
from afs.secrets.redact import redact_value

MEMORY_SUFFIXES = (".jsonl", ".json", ".md")
# Field names agents use for the two sides of an entry, in order of preference.
INSTRUCTION_FIELDS = ("instruction", "prompt", "user", "question")
OUTPUT_FIELDS = ("output", "response", "assistant", "answer")
INPUT_FIELDS = ("input", "context")
# Entry fields kept in the sample's _metadata when present.
METADATA_FIELDS = ("id", "created", "updated", "project")


def parse_confidence(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) \
            or not 0 <= value <= 1:
        shown = value if isinstance(value, (int, float)) else json_type(value)
        raise EntryError(f"field 'confidence' must be a number in [0, 1], got {shown}")
    return float(value)


class MemoryGenerator(ContextGenerator):
    """Samples from the memory entries under ``memory_root``.

    ``include_tags`` keeps entries with at least one of them, ``exclude_tags`` drops entries
    with any; with ``min_confidence`` an entry needs a confidence of at least that.
    """

    def __init__(self, memory_root: str | Path, limit: int | None = None,
                 include_tags: Iterable[str] = (), exclude_tags: Iterable[str] = (),
                 min_confidence: float | None = None):
        super().__init__("memory", memory_root, limit, include_tags, exclude_tags)
        if min_confidence is not None and not 0 <= min_confidence <= 1:
            raise ConfigError(f"min_confidence must be in [0, 1], got {min_confidence}")
        self.min_confidence = min_confidence

    def _candidates(self) -> Iterator[TrainingSample]:
        for path in walk_files(self.root, MEMORY_SUFFIXES, self.skipped):
            text = self.read(path)
            if text is None:
                continue
            for line, entry in self._entries(path, text):
                where = f"{self.relative(path)}:{line}"
                try:
                    sample = self._entry_sample(entry, where)
                except EntryError as error:
                    self.skip(where, str(error))
                    continue
                if sample is not None:
                    yield sample

    @staticmethod
    def _entries(path: Path, text: str) -> Iterator[tuple[int, Any]]:
        suffix = path.suffix.lower()
        if suffix == ".jsonl":
            yield from json_lines(text)
        elif suffix == ".md":
            yield from markdown_entries(text)
        else:
            try:
                yield from json_document(text)
            except EntryError as error:
                yield error.line or 1, error

    def _entry_sample(self, entry: Any, where: str) -> TrainingSample | None:
        """The entry's sample, or None when the options leave it out."""
        if isinstance(entry, EntryError):
            raise entry
        if not isinstance(entry, dict):
            raise EntryError(f"expected a JSON object, got {json_type(entry)}")
        entry, redactions = redact_value(entry)
        instruction = text_field(entry, INSTRUCTION_FIELDS)
        output = text_field(entry, OUTPUT_FIELDS)
        tags = parse_tags(entry.get("tags"))
        confidence = parse_confidence(entry.get("confidence"))
        if not self.keep(tags, self._confidence_problem(confidence)):
            return None
        metadata = {field: entry.get(field) for field in METADATA_FIELDS}
        return self.sample(
            instruction=instruction, output=output, source=where, redactions=redactions,
            input=text_field(entry, INPUT_FIELDS, required=False) or "",
            thinking=text_field(entry, ("thinking",), required=False),
            domain=text_field(entry, ("domain",), required=False),
            metadata={**metadata, "tags": tags, "confidence": confidence})

    def _confidence_problem(self, confidence: float | None) -> str | None:
        if self.min_confidence is None:
            return None
        if confidence is None:
            return "no_confidence"
        return "below_min_confidence" if confidence < self.min_confidence else None
