"""The reject ledger: dropped samples by row position while a step decides, and the counts of a
step's rejects (total, by step, by reason code) that every pipeline report writes.

Steps decide on slim key columns and gather full rows once at the end: filtering the whole
table at each stage would copy every text column each time (gigabytes at a million rows).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from afs.samples.frame import REJECT_REASON, REJECT_STEP, with_rejects
from afs.samples.reasons import reason_counts


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


def reject_counts(rejects: pd.DataFrame, steps: Sequence[str] = ()) -> dict[str, Any]:
    """Rejected rows in total, per step and per reason code: the ``rejects`` block of every
    pipeline report. ``steps`` come first, in their order, 0 where a step dropped nothing;
    other steps and the reason codes follow sorted."""
    seen = Counter(map(str, rejects[REJECT_STEP])) if len(rejects) else {}
    by_step = {step: int(seen.get(step, 0)) for step in steps}
    by_step |= {str(step): int(n) for step, n in sorted(seen.items()) if step not in by_step}
    reasons = reason_counts(rejects[REJECT_REASON]) if len(rejects) else {}
    return {"total": len(rejects), "step": by_step,
            "reason": {code: int(n) for code, n in sorted(reasons.items())}}
