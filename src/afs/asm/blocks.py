"""Where the asar code is in a text: its fenced Markdown blocks (```asm … ```), or the whole text
when it reads as code itself (``code_blocks``, ``looks_like_code``). Also the Markdown fence
test the doc readers share (``FENCE``), so every reader agrees on what opens a fence.
"""

from __future__ import annotations

import re
from functools import lru_cache

from afs.asm import opcodes as op
from afs.asm.source import TEXT_CACHE_SIZE, strip_comment, without_labels

# a line that opens or closes a fenced Markdown block (``` or ~~~), tried with .match
FENCE = re.compile(r"^\s*(```|~~~)")
# a whole ``` block: its language word and its code (asar code is only looked for in ```)
_FENCED_BLOCK = re.compile(r"^[ \t]*```[ \t]*([\w+#-]*)[^\n]*\n(.*?)^[ \t]*```", re.M | re.S)
# fence languages taken as asar code (an unlabelled fence counts too)
ASM_LANGUAGES = frozenset({"", "asm", "asar", "65816", "65c816", "snes", "assembly", "nasm",
                           "s", "a65", "6502"})
# one statement of asar code, labels removed: an instruction with at most one operand word
# (asar splits on spaces), an assignment, a define, a macro call, or a (lowercase) directive
_CODE_STATEMENT = re.compile(
    r"^(?:(?i:" + "|".join(sorted(op.MNEMONICS)) + r")(?:\.[bwlBWL])?(?:\s+[^\s,]+(?:,\s*[^\s,]+)*)?"
    r"|!\w+\s+[:+#?]?=\s.*|!\w+|[A-Za-z_][\w.]*\s+=\s+\S+|%\w+\(.*\)"
    r"|(?:org|db|dw|dl|dd|incsrc|incbin|macro|endmacro|if|elseif|else|endif|while|endwhile|"
    r"for|endfor|struct|endstruct|namespace|pushpc|pullpc|lorom|hirom|sa1rom|base|print|table|"
    r"skip|fill|warnpc|assert|rep)(?:\s.*)?|[{}])$")


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def _reads_as_code(line: str) -> bool:
    """One line of ``looks_like_code``'s test (cached: code and doc lines recur, see
    ``TEXT_CACHE_SIZE``)."""
    text = strip_comment(line).strip()
    if not text:
        return line.strip().startswith(";")
    return all(not part or _CODE_STATEMENT.match(part)
               for part in (without_labels(piece.strip()) for piece in text.split(" : ")))


def code_blocks(text: str) -> list[tuple[int, str]]:
    """asar code in ``text``: its fenced blocks (1-based line where each block's code starts
    and the code), or the whole text when it reads as code itself."""
    blocks = [(text.count("\n", 0, match.start(2)) + 1, match.group(2))
              for match in _FENCED_BLOCK.finditer(text) if match.group(1).lower() in ASM_LANGUAGES]
    if blocks or "```" in text:
        return blocks
    return [(1, text)] if looks_like_code(text) else []


def looks_like_code(text: str) -> bool:
    """True when most non-blank lines of ``text`` read as asar statements or comments."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return False
    needed, code, left = 0.8 * len(lines), 0, len(lines)  # needed: lines that must be code
    for line in lines:  # stops once the verdict is sure: prose fails on its first lines
        code += _reads_as_code(line)
        left -= 1
        if code >= needed:
            return True
        if code + left < needed:
            return False
    return False
