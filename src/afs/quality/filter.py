"""The filter rule: why a scored sample is rejected (``asar_invalid:<first error>``,
``unscored``, ``low_quality:0.42<0.6``), or None when it is kept. One rule for the streaming
(JSONL) filter, the frame filter and the pipeline."""

from __future__ import annotations

import math
from typing import Any

from afs.samples.model import METADATA_KEY

QUALITY_KEY = "quality"
FILTER_STEP = "quality_filter"
UNSCORED = "unscored"


def reject_reason(record: dict[str, Any], min_score: float, reject_invalid_asm: bool = True,
                  ) -> str | None:
    """Why a scored record fails the filter, or None when it passes."""
    quality = (record.get(METADATA_KEY) or {}).get(QUALITY_KEY) or {}
    if reject_invalid_asm and quality.get("asar_valid") is False:
        errors = quality.get("asar_errors") or ["invalid"]
        return f"asar_invalid:{errors[0]}"
    score = record.get("quality_score")
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return UNSCORED
    if score < min_score:
        return f"low_quality:{score:.2f}<{min_score:g}"
    return None
