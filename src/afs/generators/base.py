"""The generator contract. `TrainingSample` lives in `afs.samples` and is re-exported here,
where the spec's examples import it from."""

from __future__ import annotations

from collections.abc import Iterator

from afs.generators.files import Skipped
from afs.samples.model import TrainingSample

__all__ = ["BaseGenerator", "Skipped", "TrainingSample"]


class BaseGenerator:
    """A named source of samples: subclasses implement `generate()`.

    ``generate()`` streams samples (an iterator, so a large tree never sits in memory). Input a
    generator cannot use (an unreadable file, a bad line) is recorded with ``skip(path,
    reason)``; after a run, ``skipped`` lists it for the user. ``stats`` holds counts a
    generator reports about its run (what its samples rest on); the data_generation report
    shows them.
    """

    def __init__(self, name: str, domain: str = "general"):
        self.name = name
        self.domain = domain
        self.skipped: list[Skipped] = []
        self.stats: dict[str, int | bool] = {}

    def generate(self) -> Iterator[TrainingSample]:
        raise NotImplementedError(f"{type(self).__name__} must implement generate()")

    def skip(self, path: str, reason: str) -> None:
        """Record input that was left out, and why."""
        self.skipped.append(Skipped(str(path), reason))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, domain={self.domain!r})"
