"""Read address tables from users' files: asar symbol files, CSV and JSON.

Every problem is a `DataError` naming the file, the line and what is wrong; nothing bad is
skipped silently. Lines of a symbol file that are not symbol assignments (code, macros, text
defines) are not errors: symbol files are often ordinary asar sources.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from afs.asm.expressions import BAD_NUMBER, ExpressionError, evaluate
from afs.errors import DataError
from afs.jsonl_input import decode_utf8, input_file
from afs.knowledge.entries import MAX_ADDRESS, AddressEntry, parse_number

COLUMNS = ("address", "name", "description", "size", "category", "access")
REQUIRED_COLUMNS = ("address", "name")
SYMBOL_SUFFIXES = (".sym", ".asm", ".inc", ".s", ".txt")

# `Name = $7E0020`, `!Name = $7E0020` (asar define), value possibly an expression
_ASSIGNMENT = re.compile(r"(!?)([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(\S.*?)\s*")
# `7E:0020 Name`: the WLA symbol format asar writes with --symbols=wla
_WLA_SYMBOL = re.compile(r"([0-9A-Fa-f]{2}):([0-9A-Fa-f]{4})\s+(\S+)\s*")


def load_entries(path: str | Path) -> list[AddressEntry]:
    """Entries from a symbol file, CSV or JSON, chosen by the file's suffix."""
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return load_csv(path)
    if suffix == ".json":
        return load_json(path)
    if suffix in SYMBOL_SUFFIXES:
        return load_symbols(path)
    raise DataError(f"unknown address file type {suffix or '(none)'!r}: use .csv, .json or an "
                    f"asar symbol file ({', '.join(SYMBOL_SUFFIXES)})", path)


def _read_text(path: Path) -> str:
    path = input_file(path)  # a folder or a missing file, in the words every reader uses
    return decode_utf8(path.read_bytes(), path)


# --- asar symbol files ---------------------------------------------------------------------

def _symbol_value(text: str, known: Mapping[str, int]) -> int | None:
    """The value of an assignment, or None when it is not an address (a string, an opcode…).

    Raises ValueError for a malformed number. Names of symbols defined earlier in the file
    are substituted, so `Link_Y = Link_X+2` works.
    """
    try:
        value = evaluate(text)
    except ExpressionError as exc:
        if exc.code == BAD_NUMBER:
            raise ValueError(str(exc)) from exc
        return None
    if value.value is not None:
        return value.value
    if all(name.lstrip("!") in known for name in value.unresolved):
        names = sorted(value.unresolved, key=len, reverse=True)
        for name in names:
            text = re.sub(rf"(?<![\w!]){re.escape(name)}(?!\w)", f"${known[name.lstrip('!')]:X}", text)
        return evaluate(text).value
    return None


def _split_comment(line: str) -> tuple[str, str]:
    code, _, comment = line.partition(";")
    return code.strip(), comment.strip()


def load_symbols(path: str | Path, source: str | None = None) -> list[AddressEntry]:
    """Entries from an asar symbol file (`Name = $7E0020 ; what it is`, `!Name = …`, or the
    WLA `7E:0020 Name` lines asar writes). The description is the trailing comment, or else
    the comment lines directly above the assignment."""
    path = Path(path).expanduser()
    source = source or path.stem
    entries: list[AddressEntry] = []
    known: dict[str, int] = {}
    above: list[str] = []
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        code, comment = _split_comment(line)
        if not code:
            above = above + [comment] if comment else []  # a blank line ends a comment block
            continue
        found = _symbol_line(code, known, path, number)
        if found is not None:
            name, address = found
            description = comment or " ".join(c for c in above if c)
            entries.append(_make_entry(path, number, address=address, name=name,
                                       description=description, source=source,
                                       size_known=False))
            known[name] = address
        above = []
    return entries


def symbol_assignment(code: str, known: Mapping[str, int]) -> tuple[str, int] | None:
    """(name, address) when a comment-free line assigns an address to a symbol, else None.

    Raises ValueError for a malformed number in the value.
    """
    wla = _WLA_SYMBOL.fullmatch(code)
    if wla:
        return wla.group(3), int(wla.group(1) + wla.group(2), 16)
    assignment = _ASSIGNMENT.fullmatch(code)
    if not assignment:
        return None
    try:
        address = _symbol_value(assignment.group(3), known)
    except ValueError as exc:
        raise ValueError(f"{assignment.group(2)}: {exc}") from exc
    if address is None or not 0 <= address <= MAX_ADDRESS:  # a constant, not an address
        return None
    return assignment.group(2), address


def _symbol_line(code: str, known: Mapping[str, int], path: Path, line: int) -> tuple[str, int] | None:
    try:
        return symbol_assignment(code, known)
    except ValueError as exc:
        raise DataError(str(exc), path, line) from exc


# --- CSV and JSON records -------------------------------------------------------------------

def _make_entry(path: Path, line: int | None, **fields: Any) -> AddressEntry:
    try:
        return AddressEntry(**fields)
    except ValueError as exc:
        raise DataError(str(exc), path, line) from exc


def _text_field(record: Mapping[str, Any], key: str, default: str = "") -> str:
    value = record.get(key)
    return default if value is None or value == "" else str(value).strip()


def entry_from_record(record: Mapping[str, Any], path: Path, line: int | None,
                      source: str) -> AddressEntry:
    """An entry from a CSV row or JSON object with the keys in ``COLUMNS``."""
    missing = [key for key in REQUIRED_COLUMNS if _text_field(record, key) == ""]
    if missing:
        raise DataError(f"missing {' and '.join(missing)}", path, line)
    try:
        address = parse_number(record["address"])
        size = parse_number(record["size"], "size") if _text_field(record, "size") else 1
    except ValueError as exc:
        raise DataError(str(exc), path, line) from exc
    return _make_entry(path, line, address=address, name=_text_field(record, "name"),
                       description=_text_field(record, "description"), size=size,
                       size_known=bool(_text_field(record, "size")),
                       category=_text_field(record, "category"),
                       access=_text_field(record, "access", "rw").lower(), source=source)


def load_csv(path: str | Path, source: str | None = None) -> list[AddressEntry]:
    """Entries from a CSV file with a header row naming (some of) ``COLUMNS``."""
    path = Path(path).expanduser()
    reader = csv.DictReader(_read_text(path).splitlines())
    header = [name.strip().lower() for name in reader.fieldnames or []]
    absent = [column for column in REQUIRED_COLUMNS if column not in header]
    if absent:
        raise DataError(f"the header row lacks the column(s) {', '.join(absent)} "
                        f"(expected {','.join(COLUMNS)})", path, 1)
    reader.fieldnames = header
    entries = []
    for row in reader:
        if None in row:  # DictReader puts surplus cells under the key None
            raise DataError(f"{len(header) + len(row[None])} cells for {len(header)} columns "
                            "(quote descriptions that contain commas)", path, reader.line_num)
        entries.append(entry_from_record(row, path, reader.line_num, source or path.stem))
    return entries


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _array_items(text: str) -> Iterator[tuple[int, Any]]:
    """(line, value) for each element of a top-level JSON array (text already validated)."""
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    while True:
        while text[position].isspace() or text[position] == ",":
            position += 1
        if text[position] == "]":
            return
        value, end = decoder.raw_decode(text, position)
        yield _line_of(text, position), value
        position = end


def load_json(path: str | Path, source: str | None = None) -> list[AddressEntry]:
    """Entries from a JSON array of objects with the keys in ``COLUMNS``."""
    path = Path(path).expanduser()
    text = _read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed JSON: {exc.msg} (column {exc.colno})", path, exc.lineno) from exc
    if not isinstance(data, list):
        raise DataError(f"expected a JSON array of objects, got {type(data).__name__}", path, 1)
    entries = []
    for line, item in _array_items(text):
        if not isinstance(item, dict):
            raise DataError(f"expected an object, got {type(item).__name__}", path, line)
        entries.append(entry_from_record(item, path, line, source or path.stem))
    return entries
