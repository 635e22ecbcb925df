"""Text keys shared by curation steps: what counts as "the same" sample or instruction."""

from __future__ import annotations

import pandas as pd


def normalize_text(texts: pd.Series) -> pd.Series:
    """Lowercase, trim and collapse whitespace (formatting changes do not make a new sample)."""
    return texts.fillna("").str.lower().str.replace(r"\s+", " ", regex=True).str.strip()


def normalize_instruction(texts: pd.Series) -> pd.Series:
    """Like normalize_text, and punctuation ignored: "What does X do?" == "what does X do"."""
    return normalize_text(texts.str.replace(r"[^\w\s$#]", " ", regex=True))


def hash_texts(texts: pd.Series, seed: int | None = None) -> pd.Series:
    """64-bit hash of each text; a seed gives a different but stable hash family."""
    key = f"{(seed or 0) & 0xFFFFFFFFFFFFFFFF:016x}"[:16]
    return pd.Series(pd.util.hash_pandas_object(texts, index=False, hash_key=key).to_numpy(),
                     index=texts.index)


def leak_keys(frame: pd.DataFrame) -> pd.Series:
    """Rows with equal keys must share a split: same normalized instruction + output."""
    return normalize_text(frame["instruction"]) + "\x1f" + normalize_text(frame["output"])
