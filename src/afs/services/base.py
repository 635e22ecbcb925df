"""The ``Service`` interface and the registry of built-in services.

A service is a small object with a ``name``, a ``description``, an ``interval_s()`` read from
the settings and a ``tick(log)`` that does one round of work. The runner
(``python -m afs.services.runner NAME``) calls ``tick`` every ``interval_s()`` seconds and keeps
``memo`` (the service's notes between ticks, e.g. what it last exported) in the state file.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from typing import Any, ClassVar

from afs.config import load_config
from afs.errors import ConfigError

Log = Callable[[str], None]

# name -> "module:class"; the modules import their heavy libraries inside tick().
SERVICES = {
    "memory-export": "afs.services.builtin:MemoryExportService",
    "context-warm": "afs.services.builtin:ContextWarmService",
}


class Service:
    """One background job. Subclasses set ``name``, ``description``, ``interval_key`` (the
    setting, e.g. ``services.context_warm_interval``) and ``interval_env`` and define
    ``tick``."""

    name: ClassVar[str]
    description: ClassVar[str]
    interval_key: ClassVar[str]
    interval_env: ClassVar[str]

    def __init__(self, config: Any = None):
        self._config = config
        self.memo: dict[str, Any] = {}

    @property
    def config(self):
        """The merged AFS settings (files < environment), loaded on first use."""
        if self._config is None:
            self._config = load_config()
        return self._config

    def interval_s(self) -> float:
        """Seconds between two ticks; a ConfigError unless positive and finite."""
        value = float(self.config.get(self.interval_key))
        if not math.isfinite(value) or value <= 0:
            raise ConfigError(f"{self.interval_env} ({self.interval_key}): expected a positive "
                              f"number of seconds, got {value:g}")
        return value

    def tick(self, log: Log) -> None:
        """One round of work; ``log`` writes one line to the service's log."""
        raise NotImplementedError


def service_names() -> list[str]:
    return sorted(SERVICES)


def get_service(name: str, config: Any = None) -> Service:
    """A new instance of the service ``name``; a ConfigError naming the services if unknown."""
    if name not in SERVICES:
        raise ConfigError(f"unknown service {name!r}; services are {', '.join(service_names())}")
    module, cls = SERVICES[name].split(":")
    return getattr(importlib.import_module(module), cls)(config)
