"""The rules every step's bookkeeping shares, light (no pandas) so the CLI can use them:
a reject reason's code, counts by code, and where a step's rejects file goes by default."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

REJECTS_SUFFIX = ".rejects.jsonl"


def reason_code(reason: object) -> str:
    """The kind of a reason: the text before ``:`` (``duplicate_of:<id>`` -> ``duplicate_of``),
    few and stable enough to be a metric name."""
    return str(reason).split(":", 1)[0]


def reason_counts(reasons: Iterable[object]) -> Counter:
    """Reasons counted by code."""
    return Counter(reason_code(reason) for reason in reasons)


def rejects_path_beside(output: str | Path) -> Path:
    """The default rejects file of an output: ``<output without .jsonl>.rejects.jsonl``."""
    output = Path(output)
    return output.with_name(output.name.removesuffix(".jsonl") + REJECTS_SUFFIX)
