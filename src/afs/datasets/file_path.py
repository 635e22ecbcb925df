"""`FilePathDataset`: a file or folder handed to a node as its path, for steps that read or
write it themselves (the LoRA trainer reads its chat splits and writes its adapter folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError


def not_written_yet(path: Path, written_by: str) -> DatasetError:
    """The error for an input that the pipeline ``written_by`` has not made yet: it says what
    to run instead of only "no such file"."""
    return DatasetError(
        f"{path} does not exist yet: it is written by the {written_by} pipeline; run "
        f"`kedro run --pipelines={written_by}` first, or `kedro run` for every stage in order")


class FilePathDataset(AbstractDataset[str, str]):
    """A path on disk, loaded as a string once it exists.

    Used under a transcoded name (``openai_train_export@path``) it reads the file that another
    entry of the same name writes, so Kedro still runs the writer first. Saving takes the path a
    node wrote and only checks it: it must be this entry's own path (the node's parameters and
    the catalog must not drift apart) and exist.

    Example catalog entry::

        lora_adapter:
          type: afs.datasets.FilePathDataset
          filepath: data/06_models/lora_adapter
          written_by: training
    """

    def __init__(self, *, filepath: str, written_by: str | None = None,
                 metadata: dict[str, Any] | None = None) -> None:
        self._filepath = Path(filepath)
        self._written_by = written_by
        self.metadata = metadata

    def load(self) -> str:
        if not self._filepath.exists():
            if self._written_by:
                raise not_written_yet(self._filepath, self._written_by)
            raise DatasetError(f"{self._filepath} does not exist")
        return str(self._filepath)

    def save(self, data: str) -> None:
        written = Path(data)
        if written.resolve() != self._filepath.resolve():
            raise DatasetError(f"a node wrote {written}, but the catalog expects "
                               f"{self._filepath}: make the two paths the same")
        if not written.exists():
            raise DatasetError(f"{written}: the node returned this path but wrote nothing there")

    def _exists(self) -> bool:
        return self._filepath.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "written_by": self._written_by}
