"""Comments in asar source: the comment block above a definition and the notes inside code.

The answers the generator writes are built from these comments, so they are cleaned here once:
banner rulers (`; -----`, `; =====`) go, tool annotations (`@watch fmt=hex`) go, and so does a
first line that only repeats the name being documented (Oracle of Secrets headers start with
the routine's name). A comment block is read as sections between rulers: a one-line section
boxed by rulers (`; ===` / `; Sprite Fixes` / `; ===`) is a heading over what follows, not its
description, and a block that opens the file is the file's header when it reads as one (rulers,
or more than ``SHORT_BLOCK`` lines): a short comment at the top of a file is the comment of what
is under it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from afs.asm.source import strip_comment

# a ruler line: nothing but punctuation once the `;` are gone
_RULER = re.compile(r"[-=*#~_+/\\|.:<>\s]*")
_FIELD_LINE = re.compile(r"\w+:\s")
# a tool's tag (`@watch`, `@hud`) with its `key=value` options: for a tool, not for a reader
_ANNOTATION = re.compile(r"(?<!\S)@[A-Za-z][\w.-]*(?:\s+[\w.-]+=\S+)*")
# a table row or list item: `$00 = …`, `o - bg offset`, `bit 7: …`, `$210D w2 fvh`
_ROW = re.compile(r"(?:\$|%|#|\d)|\S{1,4}\s+[-=]\s|bits?\s+\d")
_TITLE_WORDS = 8
SHORT_BLOCK = 2  # lines of a file's first comment that can still be one definition's comment


def strip_annotations(text: str) -> str:
    """``text`` without tool annotations (`@watch fmt=hex`), spacing around them tidied."""
    if "@" not in text:
        return text
    return re.sub(r"\s{2,}", " ", _ANNOTATION.sub("", text)).strip(" ;,")


def comment_text(line: str) -> str | None:
    """The text of a comment-only line without its `;`s and the one space after them, or None
    for a line that has code or is blank. Deeper indentation is kept: it marks a continued
    list item (`In:  $00 = …` / `     $03 = …`). Annotations are removed."""
    stripped = line.strip()
    if not stripped.startswith(";"):
        return None
    text = stripped.lstrip(";").rstrip()
    text = text[1:] if text.startswith(" ") else text
    return strip_annotations(text) if "@" in text else text


def is_annotation_only(line: str) -> bool:
    """A comment line that held nothing but tool annotations (it is dropped, not a break)."""
    stripped = line.strip().lstrip(";").strip()
    return bool(stripped) and not strip_annotations(stripped)


def is_ruler(text: str) -> bool:
    return bool(_RULER.fullmatch(text))


def comment_block_above(lines: list[str], index: int) -> list[str]:
    """The comment lines directly above ``lines[index]`` (a blank or code line ends the block),
    top to bottom, rulers removed and blank comment lines kept as paragraph breaks."""
    _, block = raw_block_above(lines, index)
    return [text for text in block if not (text.strip() and is_ruler(text))]


def raw_block_above(lines: list[str], index: int) -> tuple[int, list[str]]:
    """The index of the first comment-only line directly above ``lines[index]`` and those
    lines' texts, top to bottom, rulers kept (annotation-only lines left out)."""
    block: list[str] = []
    position = index - 1
    while position >= 0:
        text = comment_text(lines[position])
        if text is None:
            break
        if not is_annotation_only(lines[position]):
            block.append(text)
        position -= 1
    block.reverse()
    return position + 1, block


def opens_file(lines: list[str], index: int) -> bool:
    """Whether only blank lines come before ``lines[index]`` (the block there heads the file)."""
    return not any(lines[position].strip() for position in range(index))


@dataclass(frozen=True)
class CommentBlock:
    """A comment block read as sections: ``text`` (its lines without rulers and headings),
    ``headings`` (one-line sections boxed by rulers, top to bottom) and whether it is the
    file's header (then it is about the file, not the definition under it, and its first
    heading is the file's title)."""

    text: tuple[str, ...]
    headings: tuple[str, ...]
    file_header: bool
    lines: tuple[str, ...] = ()  # every line in order, headings included, rulers removed

    @property
    def title(self) -> str:
        """The title a file's header opens with (a boxed one-line first section), or ''."""
        if not self.file_header or not self.headings:
            return ""
        first = next((line.strip() for line in self.lines if line.strip()), "")
        return first if first == self.headings[0] else ""

    @property
    def heading(self) -> str:
        """The nearest heading above the definition ('' when none)."""
        return self.headings[-1] if self.headings else ""

    @property
    def section_heading(self) -> str:
        """The nearest heading that is not the title of a file's preamble ('' when none); a
        file that opens with a title alone has it over what follows."""
        headings = self.headings[1:] if self.file_header and self.text else self.headings
        return headings[-1] if headings else ""


def _is_title(section: list[str]) -> bool:
    lines = [line.strip() for line in section if line.strip()]
    return (len(lines) == 1 and len(lines[0].split()) <= _TITLE_WORDS
            and lines[0][-1:] not in ".,;")


def read_block(raw: list[str], opens: bool = False) -> CommentBlock:
    """``raw`` comment lines (rulers kept) as a CommentBlock; ``opens``: the block starts the
    file (it is then the file's header if it has rulers or more than ``SHORT_BLOCK`` lines).
    A one-line section with a ruler on each side is a heading."""
    sections: list[list[str]] = [[]]
    boxed_above = [False]
    for text in raw:
        if text.strip() and is_ruler(text):
            sections.append([])
            boxed_above.append(True)
        else:
            sections[-1].append(text)
    text: list[str] = []
    headings: list[str] = []
    for number, section in enumerate(sections):
        boxed = boxed_above[number] and number + 1 < len(sections)
        if boxed and _is_title(section):
            headings.append(next(line.strip() for line in section if line.strip()))
        elif any(line.strip() for line in section):
            if text:
                text.append("")  # sections are paragraphs
            text += section
    while text and not text[-1].strip():
        text.pop()
    while text and not text[0].strip():
        text.pop(0)
    header = opens and (len(sections) > 1 or len([t for t in raw if t.strip()]) > SHORT_BLOCK)
    lines = [line for section in sections for line in section]
    while lines and not lines[0].strip():
        lines.pop(0)
    return CommentBlock(tuple(text), tuple(headings), header, tuple(lines))


def block_above(lines: list[str], index: int) -> CommentBlock:
    """The comment block directly above ``lines[index]`` as a CommentBlock."""
    start, raw = raw_block_above(lines, index)
    return read_block(raw, bool(raw) and opens_file(lines, start))


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
    """A list item, an indented continuation, a `Label: value` line, a numbered step, a table
    row (`$210D w2 fvh`, `o - bg offset`) or a line with aligned columns."""
    return bool(line[:1].isspace() or line[:1] in "-*|" or _FIELD_LINE.match(line)
                or _ROW.match(line) or re.search(r"\S {2,}\S", line))


def _starts_line(previous: str, line: str, width: int) -> bool:
    """Whether ``line`` starts a line of its own rather than continuing ``previous``: list
    items and table rows keep their lines, and so does what follows them; in prose a line too
    short to have been wrapped ends its line, a wrapped one is continued."""
    if _structured(line) or _structured(previous):
        return True
    return len(previous.rstrip()) < 0.6 * width and not line[:1].islower()


def _join_paragraph(lines: list[str]) -> str:
    width = max(len(line.rstrip()) for line in lines)
    joined = lines[0].strip()
    for previous, line in zip(lines, lines[1:]):
        separate = _starts_line(previous, line, width)
        joined += ("\n" if separate else " ") + (line.rstrip() if separate else line.strip())
    return joined


def inline_comment(line: str) -> str:
    """The comment after the code of ``line`` (empty when there is none, or no code);
    annotations are removed."""
    code = strip_comment(line)
    if code == line or not code.strip():
        return ""
    return strip_annotations(line[len(code):].lstrip(";").strip())


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


def definition_header(lines: list[str], index: int, name: str) -> tuple[list[str], str]:
    """The header comment of the definition (routine, struct, macro) named ``name`` at
    ``lines[index]`` and the heading of its section: every line of the block above it, except
    the title a file's header opens with (`; ===` / `; Accessibility Fixes` / `; ===` at the top
    of the file), which is the heading; a first line repeating the name is dropped."""
    block = block_above(lines, index)
    title = "" if block.title.startswith(name) else block.title
    header = list(block.lines)
    if block.title:  # the title is the block's first line
        header = header[1:]
        while header and not header[0].strip():
            header.pop(0)
    return drop_name_line(header, name), title
