"""Memory entries written as Markdown (the format is documented in docs/context_format.md).

A file holds optional YAML front matter (``tags``, ``confidence``, ``domain`` for all its
entries) and any number of entries, each a ``## Q`` heading followed by a ``## A`` heading,
with optional ``## Context`` and ``## Thinking`` sections between. Headings inside fenced
code blocks are content, as are other headings; text before the first ``## Q`` is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from afs.asm.blocks import FENCE
from afs.context.records import EntryError, json_type

# section heading -> the entry field it fills
SECTIONS = {"q": "instruction", "question": "instruction", "a": "output", "answer": "output",
            "context": "input", "input": "input", "thinking": "thinking"}
_HEADING = re.compile(r"^##\s+(?P<name>[A-Za-z]+)\s*(?::\s*(?P<rest>.*))?$")


def front_matter(lines: list[str]) -> tuple[dict[str, Any], int]:
    """The YAML front matter (a mapping) and the index of the first line after it."""
    if not lines or lines[0].strip() != "---":
        return {}, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise EntryError("front matter has no closing '---'", 1)
    try:
        data = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        raise EntryError(f"front matter is not valid YAML ({getattr(error, 'problem', error)})",
                         line) from None
    if not isinstance(data, dict):
        raise EntryError(f"front matter must be a mapping, got {json_type(data)}", 1)
    return data, end + 1


def _headings(lines: list[str], start: int) -> Iterator[tuple[int, str, str]]:
    """``(index, field, text after the colon)`` of each section heading outside code fences."""
    fence = None
    for index in range(start, len(lines)):
        opened = FENCE.match(lines[index])
        if opened:
            fence = None if fence == opened.group(1) else fence or opened.group(1)
            continue
        heading = None if fence else _HEADING.match(lines[index])
        if heading and heading.group("name").lower() in SECTIONS:
            yield index, SECTIONS[heading.group("name").lower()], heading.group("rest") or ""


def markdown_entries(text: str) -> Iterator[tuple[int, dict[str, Any] | EntryError]]:
    """``(line number, entry)`` for each ``## Q`` of a Markdown memory file; an entry is a
    dict with the front matter's keys and the section fields, or an EntryError."""
    lines = text.split("\n")
    try:
        shared, start = front_matter(lines)
    except EntryError as error:
        yield error.line or 1, error
        return
    headings = list(_headings(lines, start))
    entry: dict[str, Any] | EntryError | None = None
    entry_line = 0
    for position, (index, field, rest) in enumerate(headings):
        end = headings[position + 1][0] if position + 1 < len(headings) else len(lines)
        body = "\n".join([rest, *lines[index + 1:end]]).strip()
        if field == "instruction":
            if entry is not None:
                yield entry_line, _finished(entry)
            entry, entry_line = {**shared, "instruction": body}, index + 1
        elif entry is None:
            yield index + 1, EntryError(f"'## {field_heading(field)}' before any '## Q'")
        elif isinstance(entry, EntryError):
            continue  # the rest of a broken entry, already reported
        elif field in entry:
            entry = EntryError(f"second '## {field_heading(field)}' (line {index + 1}) in one "
                               "entry")
        else:
            entry[field] = body
    if entry is not None:
        yield entry_line, _finished(entry)


def _finished(entry: dict[str, Any] | EntryError) -> dict[str, Any] | EntryError:
    if isinstance(entry, dict) and "output" not in entry:
        return EntryError("'## Q' without a '## A'")
    return entry


def field_heading(field: str) -> str:
    return {"instruction": "Q", "output": "A", "input": "Context", "thinking": "Thinking"}[field]
