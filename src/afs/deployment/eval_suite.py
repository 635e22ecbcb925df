"""The eval suite and its checks: which prompts to ask and how each answer is judged.

The suite is JSONL, one item a line: the prompt is ``prompt``, or ``instruction`` with an
optional ``input`` joined after a blank line; ``check``, ``expect`` and ``eval_id`` are read
from the line or from its ``_metadata`` (the shipped suite, ``data/01_raw/eval``). Checks:

- ``exact``: the answer, trimmed, white space folded, a trailing period and enclosing
  backticks dropped, equals one accepted answer ignoring case. Accepted: the ``expect``
  entries (alternatives split by ``|``), else the reference ``output``.
- ``contains``: every ``expect`` entry occurs in the answer, ignoring case; an entry with
  ``|`` passes when one of its alternatives occurs.
- ``asar``: the answer's code (fenced asm blocks, or the whole answer when it reads as code,
  as ``afs.asm.code_blocks`` finds it) validates with ``afs.asm.validate``, and every
  ``expect`` entry occurs in that code (as for ``contains``).
- ``none``: no expected answer; the item is timed, not judged.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afs.asm import code_blocks, validate_sample
from afs.errors import ConfigError, DataError
from afs.jsonl_input import iter_json_lines
from afs.samples.model import METADATA_KEY

CHECKS = ("exact", "contains", "asar", "none")
JUDGED_CHECKS = CHECKS[:3]
DETAIL_ERRORS = 3  # asar errors named in an item's detail


@dataclass(frozen=True)
class EvalItem:
    """One prompt of the suite and how its answer is judged."""

    eval_id: str
    prompt: str
    check: str
    expect: tuple[str, ...] = ()
    reference: str | None = None  # the suite's own answer (``output``)
    domain: str | None = None
    line: int = 0


@dataclass(frozen=True)
class ItemScore:
    """The verdict on one answer: ``passed`` is None for ``none`` items (not judged);
    ``asar_valid`` is None unless the check is ``asar``."""

    passed: bool | None
    check: str
    detail: str = ""
    asar_valid: bool | None = None


def _field(record: dict[str, Any], metadata: dict[str, Any], *keys: str) -> Any:
    """The first of ``keys`` set on the line itself, else in its ``_metadata``."""
    for source in (record, metadata):
        for key in keys:
            if source.get(key) is not None:
                return source[key]
    return None


def _prompt(record: dict[str, Any]) -> Any:
    prompt = record.get("prompt")
    if prompt is not None:
        return prompt
    instruction, extra = record.get("instruction"), record.get("input")
    if isinstance(instruction, str) and isinstance(extra, str) and extra.strip():
        return f"{instruction}\n\n{extra}"
    return instruction


def _item(record: Any, number: int, path: Path) -> EvalItem:
    """``record`` (line ``number``) as an EvalItem, or a DataError saying what is wrong."""
    if not isinstance(record, dict):
        raise DataError("expected a JSON object", path, number)
    metadata = record.get(METADATA_KEY) or {}
    if not isinstance(metadata, dict):
        raise DataError(f"field '{METADATA_KEY}' must be an object", path, number)
    prompt = _prompt(record)
    if not isinstance(prompt, str) or not prompt.strip():
        raise DataError("missing prompt: give a non-empty 'prompt' or 'instruction'", path, number)
    expect = _field(record, metadata, "expect")
    expect = [expect] if isinstance(expect, str) else (expect or [])
    if not isinstance(expect, list) or not all(isinstance(e, str) and e.strip() for e in expect):
        raise DataError("'expect' must be a list of non-empty strings", path, number)
    check = _field(record, metadata, "check") or ("contains" if expect else "none")
    if check not in CHECKS:
        raise DataError(f"unknown check {check!r} (use {', '.join(CHECKS)})", path, number)
    reference = record.get("output") if isinstance(record.get("output"), str) else None
    if check == "contains" and not expect:
        raise DataError("check 'contains' needs an 'expect' list", path, number)
    if check == "exact" and not expect and not (reference or "").strip():
        raise DataError("check 'exact' needs 'expect' or an 'output' to compare with",
                        path, number)
    eval_id = _field(record, metadata, "eval_id", "id")
    return EvalItem(eval_id=str(eval_id) if eval_id is not None else f"line-{number}",
                    prompt=prompt, check=check, expect=tuple(expect), reference=reference,
                    domain=record.get("domain"), line=number)


def load_eval_suite(path: str | Path, sample_size: int | None = None,
                    seed: int = 0) -> list[EvalItem]:
    """The items of the suite at ``path``, in file order; ``sample_size`` of them picked with
    ``seed`` (the same items for the same seed). A bad line is a DataError ``path:line:``."""
    path = Path(path).expanduser()
    items: list[EvalItem] = []
    lines_of: dict[str, int] = {}
    for number, record in iter_json_lines(path):
        item = _item(record, number, path)
        if item.eval_id in lines_of:
            raise DataError(f"eval_id {item.eval_id!r} is already used on line "
                            f"{lines_of[item.eval_id]}", path, number)
        lines_of[item.eval_id] = number
        items.append(item)
    if sample_size is not None:
        if sample_size < 1:
            raise ConfigError(f"sample_size must be at least 1, got {sample_size}")
        if sample_size < len(items):
            picked = sorted(random.Random(seed).sample(range(len(items)), sample_size))
            items = [items[i] for i in picked]
    return items


# ------------------------------------------------------------------ checks


def missing_terms(text: str, expect: Sequence[str]) -> list[str]:
    """The ``expect`` entries absent from ``text`` (ignoring case; ``a|b`` needs a or b)."""
    folded = text.lower()
    return [entry for entry in expect
            if not any(alt.strip().lower() in folded for alt in entry.split("|") if alt.strip())]


def _normalized(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > 1 and text[0] == text[-1] == "`":
        text = text.strip("`").strip()
    return text.removesuffix(".").strip().lower()


def _exact(item: EvalItem, text: str) -> ItemScore:
    accepted = ([alt for entry in item.expect for alt in entry.split("|")] if item.expect
                else [item.reference or ""])
    answer = _normalized(text)
    if any(answer == _normalized(alt) for alt in accepted if alt.strip()):
        return ItemScore(True, "exact")
    return ItemScore(False, "exact", f"expected {' or '.join(map(repr, accepted))}, "
                                     f"got {' '.join(text.split())[:80]!r}")


def _asar(item: EvalItem, text: str) -> ItemScore:
    blocks = code_blocks(text)
    if not blocks:
        return ItemScore(False, "asar", "no asar code in the answer", asar_valid=False)
    result = validate_sample(text)
    problems = []
    if not result.valid:
        shown = "; ".join(str(issue) for issue in result.errors[:DETAIL_ERRORS])
        more = len(result.errors) - DETAIL_ERRORS
        problems.append(f"asar errors: {shown}" + (f" (+{more} more)" if more > 0 else ""))
    missing = missing_terms("\n".join(code for _, code in blocks), item.expect)
    if missing:
        problems.append(f"code lacks {', '.join(map(repr, missing))}")
    return ItemScore(not problems, "asar", "; ".join(problems), asar_valid=result.valid)


def score_answer(item: EvalItem, text: str) -> ItemScore:
    """Judge ``text``, a model's answer to ``item`` (rules in the module docstring)."""
    if item.check == "exact":
        return _exact(item, text)
    if item.check == "contains":
        missing = missing_terms(text, item.expect)
        return ItemScore(not missing, "contains",
                         f"missing {', '.join(map(repr, missing))}" if missing else "")
    if item.check == "asar":
        return _asar(item, text)
    if item.check == "none":
        return ItemScore(None, "none")
    raise ConfigError(f"unknown check {item.check!r} (use {', '.join(CHECKS)})")
