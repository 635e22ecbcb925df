"""Markdown documentation: one sample per heading section (the heading path as context, the
section's text as the answer) and one per table row (the row read out with the table's
header). Headings inside code fences are not headings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from afs.asm.blocks import FENCE
from afs.generators.base import TrainingSample
from afs.oracle.quality import fenced_code_metadata, provisional_score, word_count
from afs.oracle.text import pick

DOMAIN = "docs"
MIN_SECTION_WORDS = 8
_HEADING = re.compile(r"(#{1,6})\s+(.+?)\s*#*\s*$")
_TABLE_RULE = re.compile(r"\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
# every question names the file (and the heading path where a title repeats in it): the same
# title ("Overview") in several files must not be one question with several answers
_SECTION_QUESTIONS = (
    "What does `{file}` say about {title}?",
    "Explain \"{title}\" from the project's docs (`{file}`).",
    "Summarise the documentation section \"{title}\" of `{file}`.",
)
_ROW_QUESTIONS = (
    "In the table of \"{title}\" in `{file}`, what does the row for {key} say?",
    "What does `{file}` list for {key} under \"{title}\"?",
)


@dataclass(frozen=True)
class Section:
    """A heading's own text (up to the next heading of any level)."""

    path: tuple[str, ...]
    line: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip()


def sections(lines: list[str], title: str) -> Iterator[Section]:
    """The sections of a markdown file; text before the first heading is a section titled
    ``title`` (the file's path)."""
    stack: list[tuple[int, str]] = []
    start, body, in_fence = 1, [], False
    for number, line in enumerate(lines, 1):
        if FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.fullmatch(line)
        if heading is None:
            body.append(line)
            continue
        yield Section(tuple(t for _, t in stack) or (title,), start, tuple(body))
        level = len(heading.group(1))
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading.group(2)))
        start, body = number, []
    yield Section(tuple(t for _, t in stack) or (title,), start, tuple(body))


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def table_rows(section: Section) -> Iterator[tuple[int, list[str], list[str]]]:
    """(line, header cells, row cells) of each body row of the section's tables."""
    header: list[str] | None = None
    previous = ""
    for offset, line in enumerate(section.lines):
        if not line.lstrip().startswith("|"):
            header, previous = None, line
            continue
        if _TABLE_RULE.fullmatch(line.strip()) and previous.lstrip().startswith("|"):
            header = _cells(previous)
        elif header is not None:
            yield section.line + offset + 1, header, _cells(line)
        previous = line


def _row_answer(header: list[str], row: list[str]) -> str | None:
    pairs = [(h, v) for h, v in zip(header[1:], row[1:], strict=False) if v and v not in "-–—"]
    if not row or not row[0] or not pairs:
        return None
    facts = "; ".join(f"{h.lower() if h else 'value'}: {v}" for h, v in pairs)
    return f"{header[0]} {row[0]}: {facts}."


def _titles(found: list[Section]) -> dict[int, str]:
    """Each section's title for a question: its heading, or its heading path when another
    section of the file has the same heading."""
    counts: dict[str, int] = {}
    for section in found:
        counts[section.path[-1]] = counts.get(section.path[-1], 0) + 1
    return {section.line: section.path[-1] if counts[section.path[-1]] == 1
            else " › ".join(section.path) for section in found}


def doc_samples(lines: list[str], file: str) -> Iterator[TrainingSample]:
    """Section and table-row samples of one markdown file."""
    found = list(sections(lines, file))
    titles = _titles(found)
    for section in found:
        context = f"{file} › " + " › ".join(section.path)
        title = titles[section.line]
        yield from _section_sample(section, file, context, title)
        for line, header, row in table_rows(section):
            answer = _row_answer(header, row)
            if answer is None:
                continue
            key = f"{header[0]} {row[0]}"
            yield TrainingSample(
                instruction=pick(_ROW_QUESTIONS, file, line).format(title=title, key=key,
                                                                    file=file),
                input=context, output=answer, domain=DOMAIN, source=f"{file}:{line}",
                quality_score=provisional_score(answer, word_count(answer)),
                _metadata={"generator": "oracle", "kind": "doc_table_row", "file": file,
                           "line": line, "heading": list(section.path)})


def _section_sample(section: Section, file: str, context: str,
                    title: str) -> Iterator[TrainingSample]:
    text = section.text
    words = word_count(text)
    if words < MIN_SECTION_WORDS:
        return
    validation = fenced_code_metadata(text)
    yield TrainingSample(
        instruction=pick(_SECTION_QUESTIONS, file, section.line).format(title=title, file=file),
        input=context, output=text, domain=DOMAIN, source=f"{file}:{section.line}",
        quality_score=provisional_score(text, words, valid=validation.get("asar_valid", True)),
        _metadata={"generator": "oracle", "kind": "doc_section", "file": file,
                   "line": section.line, "heading": list(section.path), **validation})
