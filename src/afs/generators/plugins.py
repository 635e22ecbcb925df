"""AFS plugins: Python files or packages named in ``general.enabled_plugins`` and found in
``general.plugin_dirs`` (the first folder holding ``<name>.py`` or ``<name>/__init__.py`` wins).

A plugin module defines ``register(registry)`` and calls ``registry.add_generator(name, cls)``
(a BaseGenerator subclass, then usable as ``afs generators run <name>``) or
``registry.add_agent(name, agent_or_factory)`` (kept in ``PLUGIN_AGENTS`` for the agents
package). Example: docs/configuration.md.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from afs.config import AfsConfig, load_config
from afs.errors import ConfigError
from afs.generators.lookup import register_generator

MODULE_PREFIX = "_afs_plugin_"  # plugins are imported as _afs_plugin_<name>, never as <name>
PLUGIN_AGENTS: dict[str, Any] = {}  # agent name -> agent object or factory, from plugins
_LOADED: dict[tuple[str, Path], LoadedPlugin] = {}  # (name, file) -> plugin, imported once


@dataclass(frozen=True)
class LoadedPlugin:
    """A plugin that was imported and registered: what it added, by name."""

    name: str
    path: Path
    module: ModuleType
    generators: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()


@dataclass
class PluginRegistry:
    """What a plugin's ``register(registry)`` receives."""

    plugin: str
    generators: dict[str, type] = field(default_factory=dict)
    agents: dict[str, Any] = field(default_factory=dict)

    def add_generator(self, name: str, cls: type) -> None:
        """Make generator class ``cls`` (a BaseGenerator subclass) available as ``name``."""
        register_generator(name, cls)
        self.generators[name] = cls

    def add_agent(self, name: str, agent_or_factory: Any) -> None:
        """Make an agent (or a callable that builds one) available as ``name``."""
        PLUGIN_AGENTS[name] = agent_or_factory
        self.agents[name] = agent_or_factory


def find_plugin(name: str, plugin_dirs: list[Path]) -> Path | None:
    """``<dir>/<name>.py`` or ``<dir>/<name>/__init__.py`` in the first dir that has one."""
    for folder in plugin_dirs:
        for candidate in (folder / f"{name}.py", folder / name / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def load_plugins(config: AfsConfig) -> list[LoadedPlugin]:
    """Import and register every plugin in ``config.general.enabled_plugins``, in that order.

    A plugin that is not found, fails to import, or has no working ``register(registry)`` is a
    ConfigError naming it; a plugin already loaded from the same file is not imported again.
    """
    dirs = list(config.general.plugin_dirs)
    return [load_plugin(name, dirs) for name in config.general.enabled_plugins]


def load_configured_plugins(cwd: Path | None = None) -> list[LoadedPlugin]:
    """The plugins the user's configuration enables (``load_config(cwd)``), loaded: what the
    `afs generators` and `afs agents` commands and the data_generation pipeline call first."""
    return load_plugins(load_config(cwd))


def load_plugin(name: str, plugin_dirs: list[Path]) -> LoadedPlugin:
    """Find, import and register one plugin (see ``load_plugins``)."""
    if not re.fullmatch(r"[A-Za-z_][\w-]*", name):
        raise ConfigError(f"plugin {name!r}: a plugin name is a file name without '.py' "
                          "(letters, digits, '_' and '-')")
    path = find_plugin(name, plugin_dirs)
    if path is None:
        searched = ", ".join(str(d) for d in plugin_dirs) or "no folders (general.plugin_dirs)"
        raise ConfigError(f"plugin {name!r} not found: no {name}.py or {name}/__init__.py in "
                          f"{searched}")
    if (name, path) in _LOADED:
        return _LOADED[(name, path)]
    module = _import(name, path)
    register = getattr(module, "register", None)
    if not callable(register):
        raise ConfigError(f"plugin {name!r} ({path}) has no register(registry) function")
    registry = PluginRegistry(name)
    try:
        register(registry)
    except ConfigError as error:
        raise ConfigError(f"plugin {name!r} ({path}): {error}") from None
    except Exception as error:
        raise ConfigError(f"plugin {name!r} ({path}): register() failed: "
                          f"{type(error).__name__}: {error}") from error
    loaded = LoadedPlugin(name, path, module, tuple(registry.generators), tuple(registry.agents))
    _LOADED[(name, path)] = loaded
    return loaded


def _import(name: str, path: Path) -> ModuleType:
    """``path`` imported as a private module (a package's own relative imports work)."""
    module_name = MODULE_PREFIX + re.sub(r"\W", "_", name)
    package_dirs = [str(path.parent)] if path.name == "__init__.py" else None
    spec = importlib.util.spec_from_file_location(module_name, path,
                                                  submodule_search_locations=package_dirs)
    if spec is None or spec.loader is None:
        raise ConfigError(f"plugin {name!r} ({path}) cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # so that classes it defines can be found by module name
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[module_name]
        raise ConfigError(f"plugin {name!r} ({path}) failed to import: "
                          f"{type(error).__name__}: {error}") from error
    return module
