"""Cell values as a table stores them."""

from __future__ import annotations

import math
from typing import Any


def is_missing(value: Any) -> bool:
    """None or a float NaN (how a table stores a missing value)."""
    return value is None or (isinstance(value, float) and math.isnan(value))
