"""Stages of the asm toolkit on the executor seam (the scoring and generation stages live
beside their libraries: ``afs.quality.scorer``, ``afs.generators.runner``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from afs.asm import ValidationIssue, ValidationResult, validate
from afs.executors.seam import map_items


class AsarValidation:
    """An item stage: per worker, a function validating a batch of asar source texts into
    ``ValidationResult.to_dict()`` JSON (JSON so that nested issues cross Parquet as text)."""

    def __init__(self, backend: str = "builtin"):
        self.backend = backend

    def __call__(self) -> Callable[[list], list]:
        return lambda texts: [orjson.dumps(validate(text, backend=self.backend).to_dict())
                              .decode() for text in texts]


def validate_texts(texts: Sequence[str], backend: str = "builtin", executor: Any = None,
                   **options: Any) -> list[Any]:
    """``afs.asm.validate`` of each text, in order, on ``executor`` (None: in-process):
    ``ValidationResult`` objects, the same whichever executor ran them."""
    results = map_items(list(texts), AsarValidation(backend), executor, stage="asar_validation",
                        fingerprint=backend, **options)
    out = []
    for text in results:
        data = orjson.loads(text)
        out.append(ValidationResult(
            valid=data["valid"], lines=data["lines"],
            errors=[ValidationIssue(**issue) for issue in data["errors"]],
            warnings=[ValidationIssue(**issue) for issue in data["warnings"]]))
    return out
