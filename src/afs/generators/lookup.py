"""Generators by name: the built-ins, plus any a package registers under the entry-point group
``afs.generators`` (``my_data = "my_pkg.gen:MyDataGenerator"`` in its pyproject). The CLI
(`afs generators list|run`) and the data_generation pipeline's parameters name them."""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from afs.errors import ConfigError
from afs.generators.base import BaseGenerator

ENTRY_POINT_GROUP = "afs.generators"
BUILTIN_GENERATORS = {
    "oracle": "afs.oracle.training_generator:OracleTrainingGenerator",
    "memory": "afs.context.memory:MemoryGenerator",
    "history": "afs.context.history:HistoryGenerator",
    "knowledge": "afs.generators.knowledge:KnowledgeGenerator",
}

PLUGIN_GENERATORS: dict[str, type[BaseGenerator]] = {}  # filled by register_generator


@dataclass(frozen=True)
class GeneratorInfo:
    """Where a generator comes from: ``target`` is "module:Class", ``origin`` "built-in",
    "plugin" or the distribution that registered it."""

    name: str
    target: str
    origin: str


def available_generators() -> dict[str, GeneratorInfo]:
    """Every generator by name, built-ins first; a plug-in cannot replace a built-in."""
    found = {name: GeneratorInfo(name, target, "built-in")
             for name, target in BUILTIN_GENERATORS.items()}
    for name, cls in PLUGIN_GENERATORS.items():
        target = f"{cls.__module__}:{cls.__qualname__}"
        found.setdefault(name, GeneratorInfo(name, target, "plugin"))
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        if point.name not in found:
            origin = point.dist.name if point.dist is not None else "entry point"
            found[point.name] = GeneratorInfo(point.name, point.value, origin)
    return found


def register_generator(name: str, cls: type[BaseGenerator]) -> None:
    """Add a generator class under ``name`` at run time (an AFS plugin does this through
    ``afs.generators.plugins``); a built-in cannot be replaced."""
    if not (inspect.isclass(cls) and issubclass(cls, BaseGenerator)):
        raise ConfigError(f"generator {name!r}: {cls!r} is not a BaseGenerator subclass")
    if name in BUILTIN_GENERATORS:
        raise ConfigError(f"generator {name!r} is built in and cannot be replaced")
    PLUGIN_GENERATORS[name] = cls


def generator_class(name: str) -> type[BaseGenerator]:
    """The class registered as ``name``; ConfigError naming the choices when there is none."""
    generators = available_generators()
    if name not in generators:
        raise ConfigError(f"unknown generator {name!r}; available: {', '.join(generators)}")
    module_name, _, attribute = generators[name].target.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ConfigError(f"generator {name!r} ({generators[name].target}) cannot be "
                          f"loaded: {error}") from None
    if not (inspect.isclass(found) and issubclass(found, BaseGenerator)):
        raise ConfigError(f"generator {name!r} ({generators[name].target}) is not a "
                          "BaseGenerator subclass")
    return found


def generator_parameters(name: str) -> dict[str, Any]:
    """The keyword arguments a generator takes, with defaults (``inspect.Parameter.empty``
    for required ones)."""
    signature = inspect.signature(generator_class(name).__init__)
    return {p.name: p.default for p in signature.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def create_generator(name: str, **params: Any) -> BaseGenerator:
    """An instance of generator ``name`` built from keyword ``params``; a parameter it does
    not take, or a missing required one, is a ConfigError listing what it accepts."""
    accepted = generator_parameters(name)
    unknown = sorted(set(params) - set(accepted))
    missing = [p for p, default in accepted.items()
               if default is inspect.Parameter.empty and p not in params]
    if unknown or missing:
        problem = f"unknown parameter {unknown[0]!r}" if unknown else \
            f"missing parameter {missing[0]!r}"
        raise ConfigError(f"generator {name!r}: {problem}; it takes "
                          f"{', '.join(accepted) or 'no parameters'}")
    return generator_class(name)(**params)
