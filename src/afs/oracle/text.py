"""Small text helpers shared by the sample writers: stable phrasing choices and sentence
trimming."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(`$])")


def pick(options: Sequence[str], *key: object) -> str:
    """One of ``options``, chosen by a stable hash of ``key`` (the same key, the same choice
    on every run and machine; Python's ``hash`` is salted per process)."""
    digest = zlib.crc32("\x1f".join(map(str, key)).encode("utf-8", "surrogatepass"))
    return options[digest % len(options)]


def first_sentence(text: str, limit: int = 200) -> str:
    """The first sentence of ``text`` (at most ``limit`` characters, cut at a word)."""
    text = " ".join(text.split())
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0]
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0] + "…"
    return sentence


def with_period(text: str) -> str:
    text = text.rstrip()
    return text if not text or text[-1] in ".!?:…" else text + "."


def join_names(names: Sequence[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def asm_fence(code: str) -> str:
    return f"```asm\n{code.rstrip()}\n```"
