"""AFS settings, merged from five layers, each overriding the one before:

defaults < global file (``~/.config/afs/config.toml``, or ``$AFS_CONFIG_PATH``) < project file
(the first ``afs.toml`` found walking up from the working directory) < environment variables
(``AFS_<SECTION>_<KEY>``) < CLI flags (``overrides``). Keys, defaults and examples:
docs/configuration.md. Every value is checked against its type as it is read, so an error names
the file (or variable, or flag) and the key; unknown keys in a file are warned about and ignored.
"""

from __future__ import annotations

import os
import re
import tomllib
import types
import typing
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from afs.errors import ConfigError

DEFAULT_MAX_RECORD_BYTES = 16 << 20  # 16 MiB: far above a real sample (a few KB), far below RAM

CONFIG_PATH_ENV = "AFS_CONFIG_PATH"  # location of the global file; not itself a setting
GLOBAL_CONFIG_FILE = "~/.config/afs/config.toml"
PROJECT_CONFIG_FILE = "afs.toml"
DEFAULT_SOURCE = "default"
FLAG_SOURCE = "flag"


class ConfigWarning(UserWarning):
    """An unknown section or key in a config file: it is ignored."""


@dataclass(frozen=True)
class GeneralConfig:
    discovery_ignore: list[str] = field(default_factory=lambda: ["legacy", "archive", "archives"])
    plugin_dirs: list[Path] = field(
        default_factory=lambda: [Path("~/.config/afs/plugins"), Path("~/.afs/plugins")])
    enabled_plugins: list[str] = field(default_factory=list)
    discovery_max_depth: int = 6
    # the longest JSONL line (one record) any reader accepts; longer is an error, not 7 GB
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES


@dataclass(frozen=True)
class TrainingConfig:
    """The project file's spelling (``batch_size``, …) sets the same values."""

    default_batch_size: int = 32
    default_learning_rate: float = 1e-5
    default_epochs: int = 3

    @property
    def batch_size(self) -> int:
        return self.default_batch_size

    @property
    def learning_rate(self) -> float:
        return self.default_learning_rate

    @property
    def epochs(self) -> int:
        return self.default_epochs


@dataclass(frozen=True)
class DiscriminatorConfig:
    model_path: Path = Path("models/electra")
    cache_dir: Path = Path("~/.cache/afs/discriminator")


@dataclass(frozen=True)
class OrchestrationConfig:
    port: int = 8000
    workers: int = 4


EmbeddingProvider = Literal["none", "ollama", "hf"]


@dataclass(frozen=True)
class EmbeddingsConfig:
    provider: EmbeddingProvider = "none"
    model: str = "nomic-embed-text"
    cache_dir: Path = Path("~/.cache/afs/embeddings")
    ollama_url: str = "http://127.0.0.1:11434"


@dataclass(frozen=True)
class ProjectConfig:
    name: str | None = None
    context_root: Path = Path("~/.context")
    workspace_name: str | None = None

    def context_folder(self, name: str) -> Path:
        """A folder of the context root (``memory``, ``history`` …), ``~`` expanded."""
        return Path(self.context_root).expanduser() / name


@dataclass(frozen=True)
class EvaluationConfig:
    sample_size: int = 100
    timeout: float = 30.0
    models: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ServicesConfig:
    """Background services; intervals in seconds."""

    state_dir: Path = Path("~/.local/state/afs/services")
    context_warm_interval: float = 3600.0
    memory_export_interval: float = 86400.0
    memory_export_output: Path = Path("~/.context/training/memory.jsonl")


SECTIONS: dict[str, type] = {
    "general": GeneralConfig, "training": TrainingConfig, "discriminator": DiscriminatorConfig,
    "orchestration": OrchestrationConfig, "embeddings": EmbeddingsConfig,
    "project": ProjectConfig, "evaluation": EvaluationConfig, "services": ServicesConfig,
}
# Other spellings of a setting (in files, flags and as AFS_<SECTION>_<KEY>); the canonical
# spelling wins when both are given in one layer.
KEY_ALIASES = {
    "training.batch_size": "training.default_batch_size",
    "training.learning_rate": "training.default_learning_rate",
    "training.epochs": "training.default_epochs",
}
# Environment names that do not follow AFS_<SECTION>_<KEY>.
ENV_ALIASES = {
    "AFS_CONTEXT_WARM_INTERVAL": "services.context_warm_interval",
    "AFS_MEMORY_EXPORT_INTERVAL": "services.memory_export_interval",
    "AFS_MEMORY_EXPORT_OUTPUT": "services.memory_export_output",
    "AFS_CONTEXT_ROOT": "project.context_root",
}


@dataclass(frozen=True)
class AfsConfig:
    """The merged settings; ``sources`` maps each dotted key to where its value came from:
    "default", a file path, "env:AFS_…" or "flag"."""

    general: GeneralConfig = field(default_factory=GeneralConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    orchestration: OrchestrationConfig = field(default_factory=OrchestrationConfig)
    embeddings: EmbeddingsConfig = field(default_factory=EmbeddingsConfig)
    project: ProjectConfig = field(default_factory=ProjectConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    services: ServicesConfig = field(default_factory=ServicesConfig)
    sources: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        """The value of dotted ``key`` (an alias spelling works too)."""
        section, name = canonical_key(key).split(".")
        return getattr(getattr(self, section), name)

    def chosen(self, key: str) -> Any:
        """The value of ``key`` when a file, variable or flag set it, else None: for a command
        whose own default differs from the config's built-in one."""
        key = canonical_key(key)
        return None if self.sources.get(key, DEFAULT_SOURCE) == DEFAULT_SOURCE else self.get(key)

    def settings(self) -> list[tuple[str, Any, str]]:
        """``(dotted key, value, source)`` for every setting, in declaration order."""
        return [(key, self.get(key), self.sources.get(key, DEFAULT_SOURCE))
                for key in setting_keys()]

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Sections of JSON-ready values (paths as strings)."""
        result: dict[str, dict[str, Any]] = {}
        for key, value, _ in self.settings():
            section, name = key.split(".")
            result.setdefault(section, {})[name] = _plain(value)
        return result


def setting_keys() -> list[str]:
    """Every canonical dotted key, in declaration order."""
    return [f"{section}.{f.name}" for section, cls in SECTIONS.items() for f in fields(cls)]


def canonical_key(key: str) -> str:
    """``key`` in its canonical spelling; ConfigError naming the settings if there is none."""
    key = KEY_ALIASES.get(key, key)
    if key not in _HINTS:
        raise ConfigError(f"unknown setting {key!r}; settings are {', '.join(setting_keys())}")
    return key


def env_names() -> dict[str, str]:
    """Environment variable -> dotted key, for every variable AFS reads settings from, in the
    order they are applied (so ``AFS_<SECTION>_<KEY>`` wins over another name)."""
    names = {f"AFS_{key.replace('.', '_').upper()}": KEY_ALIASES.get(key, key)
             for key in [*KEY_ALIASES, *_HINTS]}
    return {**ENV_ALIASES, **names}


def global_config_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the global file is: ``$AFS_CONFIG_PATH``, else ``~/.config/afs/config.toml``."""
    env = os.environ if env is None else env
    return _expand(env.get(CONFIG_PATH_ENV) or GLOBAL_CONFIG_FILE, _home(env))


def find_project_config(cwd: Path | None = None) -> Path | None:
    """The first ``afs.toml`` in ``cwd`` or a folder above it, or None."""
    start = Path.cwd() if cwd is None else Path(cwd).resolve()
    return next((d / PROJECT_CONFIG_FILE for d in (start, *start.parents)
                 if (d / PROJECT_CONFIG_FILE).is_file()), None)


def load_config(cwd: Path | None = None, *, overrides: Mapping[str, Any] | None = None,
                env: Mapping[str, str] | None = None) -> AfsConfig:
    """The merged settings for a command run in ``cwd`` (default: the working directory).

    ``env`` defaults to ``os.environ``; ``overrides`` are CLI flag values by dotted key
    (``{"embeddings.provider": "hf"}``), highest priority; a None value means "flag not given".
    """
    env = os.environ if env is None else env
    home = _home(env)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}

    def apply(key: str, value: Any, source: str, text: bool, base: Path | None) -> None:
        try:
            values[key] = _convert(value, _HINTS[key], text, home, base)
        except _Expected as bad:
            where = (f"{source[4:]} (key {key!r})" if source.startswith("env:") else
                     f"flag for key {key!r}" if source == FLAG_SOURCE else f"{source}: key {key!r}")
            raise ConfigError(f"{where}: expected {bad}, got {value!r}") from None
        sources[key] = source

    for key in setting_keys():
        apply(key, _default(key), DEFAULT_SOURCE, False, None)
    global_path = global_config_path(env)
    if env.get(CONFIG_PATH_ENV) and not global_path.is_file():
        raise ConfigError(f"{CONFIG_PATH_ENV}={env[CONFIG_PATH_ENV]}: no such config file")
    for path in (global_path, find_project_config(cwd)):
        if path is not None and path.is_file():
            for key, value in _file_settings(path):
                apply(key, value, str(path), False, path.parent)
    for name, key in env_names().items():
        if name in env:
            apply(key, env[name], f"env:{name}", True, None)
    given = [(k, v) for k, v in (overrides or {}).items() if v is not None]
    for key, value in sorted(given, key=lambda pair: pair[0] in _HINTS):  # canonical last
        apply(canonical_key(key), value, FLAG_SOURCE, True, None)
    return _build(values, sources)


# --- internals -------------------------------------------------------------------------------

_HINTS: dict[str, Any] = {
    f"{section}.{name}": hint for section, cls in SECTIONS.items()
    for name, hint in typing.get_type_hints(cls).items()
}


class _Expected(Exception):
    """A value does not fit its type; the message says what was expected."""


def _default(key: str) -> Any:
    section, name = key.split(".")
    return getattr(SECTIONS[section](), name)


def _build(values: dict[str, Any], sources: dict[str, str]) -> AfsConfig:
    sections = {section: cls(**{f.name: values[f"{section}.{f.name}"] for f in fields(cls)})
                for section, cls in SECTIONS.items()}
    return AfsConfig(**sections, sources=sources)


def _home(env: Mapping[str, str]) -> Path:
    return Path(env["HOME"]) if env.get("HOME") else Path.home()


def _expand(value: str | Path, home: Path, base: Path | None = None) -> Path:
    """``~`` is ``home``; a relative path in a file is relative to that file's folder."""
    text = str(value)
    if text == "~" or text.startswith("~/"):
        return home / text[2:]
    path = Path(text)
    return base / path if base is not None and not path.is_absolute() else path


def _file_settings(path: Path) -> Iterator[tuple[str, Any]]:
    """Canonical dotted key and raw value of each known setting in a TOML file, in an order
    where the canonical spelling comes last; unknown sections and keys are warned about."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"at line (\d+)", str(error))
        where = f"{path}:{line.group(1)}" if line else str(path)
        raise ConfigError(f"{where}: invalid TOML: {error}") from None
    found: list[tuple[str, str, Any]] = []
    for section, table in document.items():
        if section not in SECTIONS or not isinstance(table, dict):
            kind = "section" if isinstance(table, dict) else "key"
            warnings.warn(f"{path}: unknown {kind} {section!r} ignored", ConfigWarning,
                          stacklevel=3)
            continue
        for name, value in table.items():
            written = f"{section}.{name}"
            key = KEY_ALIASES.get(written, written)
            if key in _HINTS:
                found.append((written, key, value))
            else:
                warnings.warn(f"{path}: unknown key {written!r} ignored", ConfigWarning,
                              stacklevel=3)
    found.sort(key=lambda item: item[0] == item[1])
    yield from ((key, value) for _, key, value in found)


_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", Path: "a path"}
_NUMBERS = {int: r"[-+]?\d+", float: r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?"}  # text forms


def _describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Literal:
        return "one of " + ", ".join(map(str, args))
    if origin is list:
        return f"a list of {_describe(args[0]).removeprefix('a ').removeprefix('an ')}s"
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_describe(a) for a in args if a is not type(None))
    return _TYPE_NAMES.get(hint, getattr(hint, "__name__", str(hint)))


def _convert(value: Any, hint: Any, text: bool, home: Path, base: Path | None) -> Any:
    """``value`` as type ``hint``; ``text`` values (environment, flags) may be strings to parse,
    lists as comma-separated strings. Raises _Expected."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):  # X | None
        if value is None or (text and value == ""):
            return None
        return _convert(value, next(a for a in args if a is not type(None)), text, home, base)
    if origin is Literal:
        if value in args:
            return value
    elif origin is list:
        if text and isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, (list, tuple)):
            try:
                return [_convert(item, args[0], text, home, base) for item in value]
            except _Expected:
                pass
    elif isinstance(value, bool):
        pass  # TOML true/false is never a number or a string here
    elif hint in _NUMBERS and (isinstance(value, int if hint is int else (int, float))
                               or text and re.fullmatch(_NUMBERS[hint], str(value))):
        return hint(value)
    elif hint is str and isinstance(value, str):
        return value
    elif hint is Path and isinstance(value, (str, Path)) and str(value):
        return _expand(value, home, base)
    raise _Expected(_describe(hint))


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return str(value) if isinstance(value, Path) else value


def check_known_keys(values: Mapping[str, Any], known: Iterable[str], what: str) -> None:
    """A ConfigError naming every key of ``values`` outside ``known`` (``what`` says whose keys
    they are) and the known ones: one rule for every settings block AFS reads."""
    known = set(known)
    unknown = sorted(str(key) for key in values if key not in known)
    if unknown:
        raise ConfigError(f"unknown {what} {', '.join(map(repr, unknown))}; "
                          f"known: {', '.join(sorted(known))}")
