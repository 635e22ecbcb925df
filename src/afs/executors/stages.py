"""Stages of the asm toolkit on the executor seam (the scoring and generation stages live
beside their libraries: ``afs.quality.scorer``, ``afs.generators.runner``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
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


class FileValidation:
    """An item stage: per worker, a function validating a batch of asar files (paths) as
    ``afs.asm.validate(text, path=…)`` does in-process: includes followed from the worker's own
    disk, so on a cluster the files must be there too."""

    def __init__(self, backend: str = "builtin", include_dirs: Sequence[str] = (),
                 defines: Mapping[str, str] | None = None):
        self.backend = backend
        self.include_dirs = [str(d) for d in include_dirs]
        self.defines = dict(defines or {})

    def _one(self, path: str) -> str:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        options = {"defines": self.defines} if self.defines else {}
        result = validate(text, backend=self.backend, path=Path(path),
                          include_dirs=self.include_dirs, **options)
        return orjson.dumps(result.to_dict()).decode()

    def __call__(self) -> Callable[[list], list]:
        return lambda paths: [self._one(path) for path in paths]


def validate_files(paths: Sequence[str | Path], backend: str = "builtin", executor: Any = None,
                   include_dirs: Sequence[str | Path] = (),
                   defines: Mapping[str, str] | None = None, **options: Any) -> list[Any]:
    """``afs.asm.validate`` of each file with its includes followed, in order, on ``executor``
    (None: in-process): the same ``ValidationResult`` objects as a local run."""
    stage = FileValidation(backend, [str(d) for d in include_dirs], defines)
    results = map_items([str(p) for p in paths], stage, executor, stage="asar_validation",
                        fingerprint=f"{backend}:files", **options)
    return _results(results)


def validate_texts(texts: Sequence[str], backend: str = "builtin", executor: Any = None,
                   **options: Any) -> list[Any]:
    """``afs.asm.validate`` of each text, in order, on ``executor`` (None: in-process):
    ``ValidationResult`` objects, the same whichever executor ran them."""
    results = map_items(list(texts), AsarValidation(backend), executor, stage="asar_validation",
                        fingerprint=backend, **options)
    return _results(results)


def _results(results: Sequence[str]) -> list[Any]:
    """ValidationResults from their JSON."""
    out = []
    for text in results:
        data = orjson.loads(text)
        out.append(ValidationResult(
            valid=data["valid"], lines=data["lines"],
            errors=[ValidationIssue(**issue) for issue in data["errors"]],
            warnings=[ValidationIssue(**issue) for issue in data["warnings"]]))
    return out
