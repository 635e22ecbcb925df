"""Atomic saving for every dataset the AFS catalog writes.

The kedro-datasets types write straight into their target, so a run killed mid-save (or two
runs writing one file) leaves a torn file. Here each one writes a temp path beside the target
and renames it into place; with ``file_set`` (file names in the same folder, e.g. the three
splits) the entry is one file of a set that appears all at once when its last file is saved
(:func:`afs.atomic_dir.stage_set_member`); with ``output_set`` (file paths in any folders, e.g.
a node's kept table and its rejects) the set is committed by journal
(:func:`afs.atomic_dir.stage_output`). Only local, unversioned paths change; other stores
keep their own semantics.

Example catalog entry::

    "{split}_split":
      type: afs.datasets.SampleJSONLDataset
      filepath: data/05_model_input/samples/{split}.jsonl
      file_set: [train.jsonl, val.jsonl, test.jsonl]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from kedro_datasets.json import JSONDataset as _JSONDataset
from kedro_datasets.matplotlib import MatplotlibDataset as _MatplotlibDataset
from kedro_datasets.pandas import ParquetDataset as _ParquetDataset
from kedro_datasets.partitions import PartitionedDataset as _PartitionedDataset
from kedro_datasets.text import TextDataset as _TextDataset

from afs.atomic_dir import (
    atomic_directory,
    atomic_path,
    complete_pending_commit,
    stage_output,
    stage_set_member,
)

LOCAL_PROTOCOLS = ("file", "local")


def save_atomically(target: str | Path, write: Callable[[Path], None],
                    file_set: Sequence[str] | None = None,
                    output_set: Sequence[str] | None = None) -> None:
    """``write(path)`` the output for ``target`` so that it appears whole or not at all: as
    one file of ``file_set`` (names in its folder) or of ``output_set`` (paths in any
    folders), published with the whole set, or alone."""
    if output_set:
        stage_output(target, output_set, write)
        return
    if file_set:
        stage_set_member(target, file_set, write)
        return
    with atomic_path(target) as temp:
        write(temp)


class AtomicFileSave:
    """Mixin for a kedro-datasets file type (``_filepath``, ``_protocol``): ``save`` writes
    through :func:`save_atomically`. ``file_set`` is taken by the subclass's ``__init__``."""

    _file_set: Sequence[str] | None = None
    _output_set: Sequence[str] | None = None

    def load(self) -> Any:
        if getattr(self, "_protocol", "file") in LOCAL_PROTOCOLS and \
                getattr(self, "_version", None) is None:
            complete_pending_commit(str(self._filepath))  # a killed writer's committed set
        return super().load()  # type: ignore[misc]

    def save(self, data: Any) -> None:
        if getattr(self, "_protocol", "file") not in LOCAL_PROTOCOLS or \
                getattr(self, "_version", None) is not None:
            super().save(data)  # type: ignore[misc]
            return
        target = self._filepath

        def write(temp: Path) -> None:
            self._filepath = PurePosixPath(temp)
            try:
                super(AtomicFileSave, self).save(data)  # type: ignore[misc]
            finally:
                self._filepath = target

        save_atomically(Path(str(target)), write, self._file_set, self._output_set)
        if hasattr(self, "_invalidate_cache"):
            self._invalidate_cache()


def _with_file_set(base: type) -> type:
    """``base`` made atomic, with optional ``file_set`` and ``output_set`` arguments."""

    class Atomic(AtomicFileSave, base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, file_set: Sequence[str] | None = None,
                     output_set: Sequence[str] | None = None, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._file_set = list(file_set) if file_set else None
            self._output_set = list(output_set) if output_set else None

    Atomic.__name__ = Atomic.__qualname__ = base.__name__
    Atomic.__doc__ = (f"kedro-datasets' ``{base.__module__}.{base.__name__}``, saved "
                      "atomically (see :mod:`afs.datasets.atomic`).")
    return Atomic


ParquetDataset = _with_file_set(_ParquetDataset)
JSONDataset = _with_file_set(_JSONDataset)
MatplotlibDataset = _with_file_set(_MatplotlibDataset)
TextDataset = _with_file_set(_TextDataset)


class PartitionedDataset(_PartitionedDataset):
    """kedro-datasets' ``PartitionedDataset``, saved as one unit: the partitions are written
    into a folder beside ``path`` that replaces it in one swap (with ``overwrite: false`` the
    old partitions that were not written again are kept)."""

    def save(self, data: dict[str, Any]) -> None:
        if self._protocol not in LOCAL_PROTOCOLS:
            super().save(data)
            return
        target = self._path
        keep_old = () if not self._overwrite else None
        with atomic_directory(target, members=keep_old) as staging:
            self._path = str(staging)
            try:
                super().save(data)
            finally:
                self._path = target
