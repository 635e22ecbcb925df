"""Moved to :mod:`afs.progress`, the progress helper every stage uses; these names stay
importable from here for scripts written against the old place."""

from afs.progress import DEFAULT_EVERY, Phase, Reporter, format_duration, plural

__all__ = ["DEFAULT_EVERY", "Phase", "Reporter", "format_duration", "plural"]
