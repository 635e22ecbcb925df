"""`SampleList`: a list of TrainingSample backed by a frame.

Curation functions return these so that a million samples cost one table, not a million
objects: samples are built only when a caller indexes or iterates, and `save_jsonl` writes the
table directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import pandas as pd

from afs.samples.frame import frame_to_samples, row_to_sample, samples_to_frame
from afs.samples.model import TrainingSample


class SampleList(Sequence[TrainingSample]):
    """Read-only sequence of samples over a canonical frame (``.frame``).

    ``report`` is the LoadReport of a read; ``rejects`` the frame of samples a step dropped.
    """

    def __init__(self, frame: pd.DataFrame | None = None, report: Any = None,
                 rejects: pd.DataFrame | None = None):
        if frame is None:
            frame = samples_to_frame([])
        self.frame = frame.reset_index(drop=True)
        self.report = report
        self.rejects = rejects

    @classmethod
    def from_samples(cls, samples: Sequence[TrainingSample]) -> SampleList:
        return cls(samples_to_frame(samples))

    def __len__(self) -> int:
        return len(self.frame)

    @overload
    def __getitem__(self, index: int) -> TrainingSample: ...
    @overload
    def __getitem__(self, index: slice) -> SampleList: ...

    def __getitem__(self, index):
        if isinstance(index, slice):
            return SampleList(self.frame.iloc[index])
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("SampleList index out of range")
        return row_to_sample(self.frame.iloc[index].to_dict())

    def __iter__(self) -> Iterator[TrainingSample]:
        chunk = 10_000
        for start in range(0, len(self.frame), chunk):
            yield from frame_to_samples(self.frame.iloc[start : start + chunk])

    def __add__(self, other: Sequence[TrainingSample]) -> SampleList:
        other_frame = other.frame if isinstance(other, SampleList) else samples_to_frame(other)
        return SampleList(pd.concat([self.frame, other_frame], ignore_index=True))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SampleList({len(self)} samples)"

    def to_list(self) -> list[TrainingSample]:
        return list(self)
