"""Bookkeeping of dropped samples by row position.

Steps decide on slim key columns and gather full rows once at the end: filtering the whole
table at each stage would copy every text column each time (gigabytes at a million rows).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from afs.samples.frame import with_rejects


class RejectReasons:
    """Why each row (by position) was dropped; None while it is still a candidate."""

    def __init__(self, size: int):
        self.values = np.full(size, None, dtype=object)

    def drop(self, positions: Any, reasons: Any) -> None:
        positions = np.asarray(positions, dtype=np.int64)
        if isinstance(reasons, pd.Series):
            reasons = reasons.to_numpy(dtype=object)
        self.values[positions] = reasons

    def candidates(self) -> np.ndarray:
        """Positions not dropped so far, in order."""
        return np.flatnonzero(pd.isna(self.values))

    def rejects(self, frame: pd.DataFrame, step: str) -> pd.DataFrame:
        """The dropped rows of ``frame`` with ``reject_step`` and ``reject_reason``."""
        dropped = np.flatnonzero(pd.notna(self.values))
        return with_rejects(frame.iloc[dropped], step, self.values[dropped])
