"""The generator contract. `TrainingSample` lives in `afs.samples` and is re-exported here,
where the spec's examples import it from."""

from __future__ import annotations

from collections.abc import Iterator

from afs.samples.model import TrainingSample

__all__ = ["BaseGenerator", "TrainingSample"]


class BaseGenerator:
    """A named source of samples: subclasses implement `generate()`."""

    def __init__(self, name: str, domain: str = "general"):
        self.name = name
        self.domain = domain

    def generate(self) -> Iterator[TrainingSample]:
        raise NotImplementedError(f"{type(self).__name__} must implement generate()")
