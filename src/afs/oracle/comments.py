"""Comments in asar source: the comment block above a definition and the notes inside code.

The answers the generator writes are built from these comments, so they are cleaned here once:
banner rulers (`; -----`, `; =====`) go, and so does a first line that only repeats the name
being documented (Oracle of Secrets headers start with the routine's name).
"""

from __future__ import annotations

import re

from afs.asm.source import strip_comment

# a ruler line: nothing but punctuation once the `;` are gone
_RULER = re.compile(r"[-=*#~_+/\\|.:<>\s]*")
_FIELD_LINE = re.compile(r"\w+:\s")


def comment_text(line: str) -> str | None:
    """The text of a comment-only line without its `;`s and the one space after them, or None
    for a line that has code or is blank. Deeper indentation is kept: it marks a continued
    list item (`In:  $00 = …` / `     $03 = …`)."""
    stripped = line.strip()
    if not stripped.startswith(";"):
        return None
    text = stripped.lstrip(";").rstrip()
    return text[1:] if text.startswith(" ") else text


def is_ruler(text: str) -> bool:
    return bool(_RULER.fullmatch(text))


def comment_block_above(lines: list[str], index: int) -> list[str]:
    """The comment lines directly above ``lines[index]`` (a blank or code line ends the block),
    top to bottom, rulers removed and blank comment lines kept as paragraph breaks."""
    block: list[str] = []
    position = index - 1
    while position >= 0:
        text = comment_text(lines[position])
        if text is None:
            break
        block.append(text)
        position -= 1
    block.reverse()
    return [text for text in block if not (text.strip() and is_ruler(text))]


def drop_name_line(block: list[str], name: str) -> list[str]:
    """``block`` without a leading line that names ``name`` again; what follows the name on that
    line (e.g. `(state 0)`) is kept."""
    if not block or not block[0].startswith(name):
        return block
    rest = block[0][len(name):].strip()
    if rest and rest[0] not in "(:-":
        return block  # a sentence that starts with the name ("Draw the wisp."), or a longer name
    rest = rest.strip(" :-")
    return ([rest[:1].upper() + rest[1:]] if rest else []) + block[1:]


def as_prose(block: list[str]) -> str:
    """A comment block as text: lines joined, blank comment lines as paragraph breaks. Lines
    that look like lists or tables (indented, `-` items, `In:` lines) keep their own line."""
    paragraphs: list[list[str]] = [[]]
    for text in block:
        if not text.strip():
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        paragraphs[-1].append(text)
    return "\n\n".join(_join_paragraph(p) for p in paragraphs if p)


def _structured(line: str) -> bool:
    """A list item, an indented continuation, a `Label: value` line or a numbered step."""
    return bool(line[:1].isspace() or line[:1] in "-*|" or line[:1].isdigit()
                or _FIELD_LINE.match(line))


def _starts_line(previous: str, line: str) -> bool:
    """Whether ``line`` starts a line of its own rather than continuing ``previous``: list
    items do, and so does a new sentence after a list (a wrapped item continues)."""
    if _structured(line):
        return True
    if previous[:1].isspace():
        return line[:1].isupper()
    return _structured(previous) and line[:1].isupper() and previous.rstrip()[-1:] in ".!?:)"


def _join_paragraph(lines: list[str]) -> str:
    joined = lines[0].strip()
    for previous, line in zip(lines, lines[1:]):
        separate = _starts_line(previous, line)
        joined += ("\n" if separate else " ") + (line.rstrip() if separate else line.strip())
    return joined


def inline_comment(line: str) -> str:
    """The comment after the code of ``line`` (empty when there is none, or no code)."""
    code = strip_comment(line)
    if code == line or not code.strip():
        return ""
    return line[len(code):].lstrip(";").strip()


def without_comments(lines: list[str]) -> tuple[list[str], list[int]]:
    """``lines`` with comment-only lines removed and trailing comments cut, and for every kept
    line its index in ``lines`` (to move validator positions onto the stripped text)."""
    kept, origin = [], []
    for index, line in enumerate(lines):
        if comment_text(line) is not None:
            continue
        kept.append(strip_comment(line).rstrip())
        origin.append(index)
    return kept, origin
