"""Integer allocation of counts by ratio (largest remainder), used by rebalance and split."""

from __future__ import annotations

import numpy as np

from afs.errors import ConfigError


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (ties go to earlier slots)."""
    weights = np.asarray(weights, dtype=float)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    remainders = exact - counts
    order = np.lexsort((np.arange(len(weights)), -remainders))
    counts[order[: total - counts.sum()]] += 1
    return counts


def controlled_rounding(sizes: np.ndarray, ratios: np.ndarray) -> np.ndarray:
    """Matrix of counts (rows = strata, columns = splits) whose rows sum to ``sizes`` and whose
    columns sum to the largest-remainder split of the total, each cell within about one of its
    exact share. Small strata therefore go where their share is largest, not to the last split.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    exact = sizes[:, None] * ratios[None, :]
    counts = np.floor(exact).astype(np.int64)
    row_deficit = sizes - counts.sum(axis=1)
    column_deficit = largest_remainder(int(sizes.sum()), ratios) - counts.sum(axis=0)
    remainders = exact - counts
    for flat in np.argsort(-remainders, axis=None, kind="stable"):
        row, column = divmod(int(flat), len(ratios))
        if row_deficit[row] > 0 and column_deficit[column] > 0:
            counts[row, column] += 1
            row_deficit[row] -= 1
            column_deficit[column] -= 1
    for row in np.flatnonzero(row_deficit):  # rare: the greedy pass left a row short
        while row_deficit[row] > 0:
            column = int(np.argmax(column_deficit))
            counts[row, column] += 1
            row_deficit[row] -= 1
            column_deficit[column] -= 1
    return counts


def check_ratio(name: str, value: float, low: float = 0.0, high: float = 1.0,
                include_high: bool = True) -> float:
    """A ratio within [low, high] (or [low, high)), else a ConfigError naming it."""
    value = float(value)
    ok = low <= value <= high if include_high else low <= value < high
    if not ok:
        bracket = "]" if include_high else ")"
        raise ConfigError(f"{name} must be in [{low:g}, {high:g}{bracket}, got {value:g}")
    return value
