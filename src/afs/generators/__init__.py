"""Sample generators (built-ins and the BaseGenerator contract).

Names are imported on first use so that ``afs.generators.plugins`` (which the agents load)
does not bring pandas.
"""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "BaseGenerator": "afs.generators.base",
    "TrainingSample": "afs.generators.base",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
