"""What the memory and history readers share: JSON with line numbers, fields, tags, filters,
and `ContextGenerator`, which turns redacted records into samples under a limit.

A record that cannot become a sample raises `EntryError`; the generator records it with
``skip("file:line", reason)`` and goes on, so one bad line never costs the rest of a file.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from afs.errors import ConfigError, DataError
from afs.generators.base import BaseGenerator, TrainingSample
from afs.generators.files import SkipFile, read_source
from afs.secrets.gate import REDACTIONS_KEY, redact_sample, redacted_skipped
from afs.secrets.redact import redacted

_JSON_TYPE_NAMES = {dict: "object", list: "array", str: "string", int: "number", float: "number",
                    bool: "boolean", type(None): "null"}


class EntryError(ValueError):
    """A record that cannot become a sample; the message is the reason shown to the user."""

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(reason)
        self.line = line  # where in the file, when the record spans several lines


def json_type(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _decode_problem(error: json.JSONDecodeError) -> str:
    return f"malformed JSON: {error.msg} (column {error.colno})"


def json_lines(text: str) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for each non-blank line; the value is an EntryError when the
    line is not JSON."""
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            yield number, EntryError(_decode_problem(error))


def json_document(text: str) -> Iterator[tuple[int, Any]]:
    """A .json file's entries with the line each starts on: the file is one object, or an
    array of them. Raises EntryError (with its line) when the file is not JSON."""
    decoder = json.JSONDecoder()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise EntryError(_decode_problem(error), error.lineno) from None
    start = len(text) - len(text.lstrip())
    if not isinstance(document, list):
        yield text.count("\n", 0, start) + 1, document
        return
    # Walk the array element by element to learn where each one starts (json gives no spans).
    position, line, counted = start + 1, 1, 0
    for _ in document:
        position = _skip_separators(text, position)
        line += text.count("\n", counted, position)
        counted = position
        value, position = decoder.raw_decode(text, position)
        yield line, value


def _skip_separators(text: str, position: int) -> int:
    while text[position] in " \t\r\n,":
        position += 1
    return position


def text_field(record: dict[str, Any], names: Iterable[str], required: bool = True
               ) -> str | None:
    """The stripped text of the first of ``names`` present in ``record``."""
    names = tuple(names)
    for name in names:
        if record.get(name) is None:
            continue
        value = record[name]
        if not isinstance(value, str):
            raise EntryError(f"field '{name}' must be a string, got {json_type(value)}")
        if not value.strip():
            if required:
                raise EntryError(f"field '{name}' is empty")
            continue  # an empty optional field is no field
        return value.strip()
    if required:
        others = f" (or {', '.join(names[1:])})" if len(names) > 1 else ""
        raise EntryError(f"missing field '{names[0]}'{others}")
    return None


def parse_tags(value: Any) -> list[str]:
    """Tags as a list of strings, or one comma-separated string; compared lower-case."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise EntryError(f"field 'tags' must be a list of strings, got {json_type(value)}")
    return [tag.strip().lower() for tag in value if tag.strip()]


def _normal_tags(tags: Iterable[str]) -> frozenset[str]:
    return frozenset(tag.strip().lower() for tag in tags if tag.strip())


class ContextGenerator(BaseGenerator):
    """Shared machinery of the memory and history generators.

    ``generate()`` streams the samples of ``_candidates()`` up to ``limit``. Besides
    ``skipped`` (bad input), a run leaves ``left_out`` (reason -> count of good records the
    options excluded), ``redactions`` (kind -> count over all samples) and ``limited``.
    """

    def __init__(self, name: str, root: str | Path, limit: int | None,
                 include_tags: Iterable[str], exclude_tags: Iterable[str]):
        super().__init__(name=name, domain=name)
        if limit is not None and limit < 0:
            raise ConfigError(f"limit must be 0 or more, got {limit}")
        self.root = Path(root).expanduser()
        self.limit = limit
        self.include_tags = _normal_tags(include_tags)
        self.exclude_tags = _normal_tags(exclude_tags)
        self.left_out: Counter = Counter()
        self.redactions: Counter = Counter()
        self.limited = False

    def generate(self) -> Iterator[TrainingSample]:
        if not self.root.is_dir():
            raise DataError(f"no such {self.name} folder", self.root)
        self.skipped, self.left_out, self.redactions = [], Counter(), Counter()
        self.limited = False
        if self.limit == 0:
            self.limited = True
            return
        try:
            for count, sample in enumerate(self._candidates(), start=1):
                yield sample
                if self.limit is not None and count >= self.limit:
                    self.limited = True
                    return
        finally:  # the file walk appends to ``skipped`` directly, bypassing skip()
            self.skipped[:] = redacted_skipped(self.skipped)

    def _candidates(self) -> Iterator[TrainingSample]:
        raise NotImplementedError

    def relative(self, path: Path) -> str:
        """The path relative to the root, as ``source`` and skip messages show it (both
        redact a secret-shaped part, such as a key id as a file's stem: sample, skip)."""
        return path.relative_to(self.root).as_posix()

    def skip(self, path: str, reason: str) -> None:
        """Record bad input by where it is and why, redacted: a reason never quotes the
        record, but a path or a parser's message could still hold a secret."""
        super().skip(redacted(str(path)), redacted(reason))

    def read(self, path: Path) -> str | None:
        """The file's text, or None (skipped with the reason) when it cannot be read."""
        try:
            return read_source(path)
        except SkipFile as error:
            self.skip(self.relative(path), error.reason)
            return None

    def keep(self, tags: Iterable[str], reason: str | None = None) -> bool:
        """Whether a good record passes the options; counts it in ``left_out`` if not."""
        tags = set(tags)
        if reason is None and tags & self.exclude_tags:
            reason = "excluded_tag"
        if reason is None and self.include_tags and not tags & self.include_tags:
            reason = "no_included_tag"
        if reason is not None:
            self.left_out[reason] += 1
        return reason is None

    def sample(self, *, instruction: str, output: str, source: str, redactions: Counter,
               input: str = "", thinking: str | None = None,  # noqa: A002
               domain: str | None = None, metadata: dict[str, Any] | None = None
               ) -> TrainingSample:
        """A sample whose every field went through redaction (see redact_sample), with the
        counts (those of its record, ``redactions``, plus any found here) in
        ``_metadata["redactions"]``."""
        sample = TrainingSample(
            instruction=instruction, output=output, input=input, thinking=thinking,
            domain=domain or self.domain, source=source,
            _metadata={k: v for k, v in (metadata or {}).items() if v is not None})
        sample = redact_sample(sample, redactions)
        self.redactions.update(sample._metadata.get(REDACTIONS_KEY, {}))
        return sample
