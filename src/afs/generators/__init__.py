"""Sample generators (built-ins and the BaseGenerator contract)."""

from afs.generators.base import BaseGenerator, TrainingSample

__all__ = ["BaseGenerator", "TrainingSample"]
