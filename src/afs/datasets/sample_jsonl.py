"""`SampleJSONLDataset`: a JSONL file of TrainingSample records as a canonical sample frame.

Loading goes through the strict reader (bad lines are errors naming file and line, or with
``load_args: {on_error: skip}`` rows in a rejects file); saving is the atomic frame writer.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset

from afs.atomic_dir import complete_pending_commit
from afs.datasets.atomic import save_atomically
from afs.datasets.file_path import not_written_yet
from afs.samples.jsonl import read_jsonl_frame, write_jsonl_frame

logger = logging.getLogger(__name__)


class SampleJSONLDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """Local JSONL file of samples <-> pandas frame with the canonical sample columns.

    Example catalog entry::

        v1_training:
          type: afs.datasets.SampleJSONLDataset
          filepath: data/01_raw/v1_training.jsonl
          load_args: {on_error: skip, rejects_path: data/08_reporting/v1_bad_lines.jsonl}

    ``written_by`` names the pipeline that makes the file, so loading it before that
    pipeline ran says what to run instead of only "no such file". ``file_set``: the file
    is one of a set in its folder that appears all at once (:mod:`afs.datasets.atomic`).
    """

    DEFAULT_LOAD_ARGS: dict[str, Any] = {"on_error": "raise"}
    DEFAULT_SAVE_ARGS: dict[str, Any] = {}

    def __init__(
        self,
        *,
        filepath: str,
        load_args: dict[str, Any] | None = None,
        save_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        written_by: str | None = None,
        file_set: list[str] | None = None,
        output_set: list[str] | None = None,
    ) -> None:
        self._filepath = Path(filepath)
        self._written_by = written_by
        self._file_set = file_set  # the files of its folder published together with it
        self._output_set = output_set  # the files, in any folders, published together with it
        self._load_args = {**self.DEFAULT_LOAD_ARGS, **(load_args or {})}
        self._save_args = {**self.DEFAULT_SAVE_ARGS, **(save_args or {})}
        self.metadata = metadata

    def load(self) -> pd.DataFrame:
        """The file's samples as a frame. What the reader saw is a DEBUG line (logs/afs.log:
        a run reads the same file several times); lines it skipped make it an INFO line."""
        complete_pending_commit(self._filepath)  # a killed writer's committed set first
        if self._written_by and not self._filepath.is_file():
            raise not_written_yet(self._filepath, self._written_by)
        frame, report = read_jsonl_frame(self._filepath, **self._load_args)
        logger.log(logging.INFO if report.skipped else logging.DEBUG, report.summary())
        return frame

    def save(self, data: pd.DataFrame) -> None:
        save_atomically(self._filepath,
                        lambda path: write_jsonl_frame(data, path, **self._save_args),
                        self._file_set, self._output_set)

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": str(self._filepath),
            "load_args": self._load_args,
            "save_args": self._save_args,
            "file_set": self._file_set,
            "output_set": self._output_set,
        }
