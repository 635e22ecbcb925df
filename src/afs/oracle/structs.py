"""asar structs (`struct Name $addr` … `endstruct`): field offsets, entries for the address
database (`DmaChannel.BBus`) and layout samples.

Offsets are running sums of the field sizes: `skip n` is n bytes, `db/dw/dl/dd a, b…` are 1/2/3/4
bytes per value; `endstruct align n` rounds the size up.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from afs.asm.expressions import ExpressionError, evaluate
from afs.asm.source import logical_lines, split_arguments, split_statements
from afs.generators.base import TrainingSample
from afs.knowledge import AddressEntry
from afs.knowledge.entries import MAX_ADDRESS, format_address
from afs.oracle.comments import as_prose, definition_header, inline_comment
from afs.oracle.quality import provisional_score, word_count
from afs.oracle.text import pick, with_period

DOMAIN = "asm.struct"
_FIELD = re.compile(r"\.([A-Za-z0-9_]+):?(?:\s+(.*))?$")
_UNIT = {"skip": None, "db": 1, "dw": 2, "dl": 3, "dd": 4}
_LAYOUT_QUESTIONS = (
    "What is the layout of the asar struct `{name}` in `{file}`?",
    "Describe the fields of struct `{name}` ({file}) and their offsets.",
    "Which fields does `struct {name}` of `{file}` have, and where is each one?",
)
_FIELD_QUESTIONS = (
    "What address does `{name}.{field}` name in `{file}`?",
    "Where is the `.{field}` field of struct `{name}` ({file})?",
)


@dataclass(frozen=True)
class StructField:
    name: str
    offset: int
    size: int
    comment: str


@dataclass(frozen=True)
class StructLayout:
    name: str
    base_text: str
    base: int | None
    fields: tuple[StructField, ...]
    size: int
    line: int
    header: tuple[str, ...]


def _literal(text: str) -> int | None:
    try:
        return evaluate(text).value
    except ExpressionError:
        return None


def directive_size(text: str) -> int | None:
    """The bytes a `skip n` / `db/dw/dl/dd a, b…` statement reserves (None for anything else)."""
    parts = text.split(None, 1)
    if not parts or parts[0].lower() not in _UNIT:
        return None
    word, argument = parts[0].lower(), parts[1] if len(parts) > 1 else ""
    if word == "skip":
        return _literal(argument.strip())
    return _UNIT[word] * len(split_arguments(argument))


def struct_layouts(lines: list[str]) -> Iterator[StructLayout]:
    """The structs defined in a file."""
    if not any("struct" in line.lower() for line in lines):
        return  # most files have none: skip reading their statements
    opening: tuple[int, list[str]] | None = None
    body: list[tuple[int, str]] = []
    for number, line in logical_lines("\n".join(lines)):
        words = line.split()
        if words and words[0].lower() == "struct" and len(words) >= 3:
            opening, body = (number, words), []
        elif words and words[0].lower() == "endstruct" and opening is not None:
            yield _layout(lines, opening, body, words)
            opening = None
        elif opening is not None:
            body.append((number, line))


def _layout(lines: list[str], opening: tuple[int, list[str]], body: list[tuple[int, str]],
            closing: list[str]) -> StructLayout:
    number, words = opening
    name, base_text = words[1], " ".join(words[2:])
    fields, offset, pending = [], 0, None
    for line_number, line in body:
        for statement in split_statements(line_number, line):
            match = _FIELD.match(statement.text)
            directive = match.group(2) or "" if match else statement.text
            if match:
                pending = (match.group(1), inline_comment(lines[line_number - 1]))
            size = directive_size(directive)
            if size is None:
                continue
            if pending:
                fields.append(StructField(pending[0], offset, size, pending[1]))
                pending = None
            offset += size
    if len(closing) >= 3 and closing[1].lower() == "align" and (align := _literal(closing[2])):
        offset = -(-offset // align) * align
    header, _ = definition_header(lines, number - 1, name)
    base = None if base_text.startswith("extends") else _literal(base_text)
    return StructLayout(name, base_text, base, tuple(fields), offset, number, tuple(header))


def field_entries(layout: StructLayout, file: str) -> list[AddressEntry]:
    """`Name.Field` entries for the address database (structs at a known address only)."""
    if layout.base is None:
        return []
    return [AddressEntry(address=layout.base + f.offset, name=f"{layout.name}.{f.name}",
                         description=f.comment, size=f.size, source=file)
            for f in layout.fields if f.size > 0 and layout.base + f.offset + f.size <= MAX_ADDRESS]


def _where(layout: StructLayout, offset: int) -> str:
    if layout.base is None:
        return f"`{layout.base_text}`+${offset:02X}"
    return format_address(layout.base + offset)


def _field_line(layout: StructLayout, field: StructField) -> str:
    size = f"{field.size} byte" + ("s" if field.size != 1 else "")
    about = f": {field.comment}" if field.comment else ""
    return f"- `.{field.name}` at +${field.offset:02X} ({_where(layout, field.offset)}), {size}{about}"


def layout_answer(layout: StructLayout) -> str:
    blocks = [f"`struct {layout.name} {layout.base_text}` is {layout.size} bytes long."]
    if layout.header:
        blocks.append(as_prose(list(layout.header)))
    blocks.append("Fields (offset from the start, address of instance 0):\n"
                  + "\n".join(_field_line(layout, f) for f in layout.fields))
    if layout.fields and layout.size:
        first = layout.fields[0]
        blocks.append(f"Instance i starts {layout.size} × i bytes further on, so "
                      f"`{layout.name}[1].{first.name}` is {_where(layout, layout.size + first.offset)}.")
    return "\n\n".join(blocks)


def offsets_rationale(layout: StructLayout) -> str | None:
    """How the offsets come out: each is the sum of the sizes before it."""
    if not layout.fields:
        return None
    steps = " → ".join(f".{f.name} at {f.offset} (+{f.size})" for f in layout.fields)
    return f"Each offset is the sum of the field sizes before it: {steps}; total {layout.size} bytes."


def struct_samples(layout: StructLayout, file: str) -> Iterator[TrainingSample]:
    """A layout sample for the struct and an address sample for each field."""
    if not layout.fields:
        return
    source = f"{file}:{layout.line}"
    metadata = {"generator": "oracle", "kind": "struct", "struct": layout.name, "file": file,
                "line": layout.line}
    grounding = word_count(" ".join(layout.header)) + sum(word_count(f.comment)
                                                           for f in layout.fields)
    output = layout_answer(layout)
    yield TrainingSample(
        instruction=pick(_LAYOUT_QUESTIONS, source).format(name=layout.name, file=file),
        output=output,
        thinking=offsets_rationale(layout), domain=DOMAIN, source=source,
        quality_score=provisional_score(output, grounding), _metadata=metadata)
    for field in layout.fields:
        answer = (f"`{layout.name}.{field.name}` is {_where(layout, field.offset)}: offset "
                  f"${field.offset:02X} in struct `{layout.name}` (which starts at "
                  f"{_where(layout, 0)}), {field.size} byte{'s' if field.size != 1 else ''}.")
        if field.comment:
            answer += f" {with_period(field.comment)}"
        yield TrainingSample(
            instruction=pick(_FIELD_QUESTIONS, source, field.name).format(
                name=layout.name, field=field.name, file=file),
            output=answer, domain=DOMAIN, source=source,
            quality_score=provisional_score(answer, word_count(field.comment)),
            _metadata={**metadata, "field": field.name, "offset": field.offset})
