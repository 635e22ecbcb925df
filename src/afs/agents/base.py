"""The agent interface and the registry of built-in and plugin agents.

An agent is a small program that `afs agents run NAME -- ARGS…` runs: it has a ``name``, a
one-line ``description``, ``build_parser()`` (an argparse parser for its own ARGS) and
``run(args) -> AgentResult``. Built-in agents live in this package; plugins add theirs to
``afs.generators.plugins.PLUGIN_AGENTS`` (docs/agents.md). Model-backed agents derive from
:class:`ModelAgent` (``afs.agents.model``), which adds the shared ``--endpoint``/``--model``
options.

Nothing heavy is imported here: `afs agents list` must stay fast.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from afs.atomic_dir import atomic_write
from afs.config import load_config
from afs.errors import ConfigError
from afs.generators import plugins

log = logging.getLogger(__name__)

# name -> "module:class"; imported only when the agent is listed or run.
BUILTIN_AGENTS = {
    "context-audit": "afs.agents.context_audit:ContextAuditAgent",
    "researcher": "afs.agents.researcher:ResearcherAgent",
    "scribe-draft": "afs.agents.scribe_draft:ScribeDraftAgent",
}
BUILTIN = "built-in"
PLUGIN = "plugin"


@dataclass
class AgentResult:
    """What one agent run produced.

    ``summary`` is the one line the CLI ends with (``NAME: summary``); ``stdout``, when set,
    is printed as is (and the summary goes to stderr, so the text can be piped);
    ``exit_code`` is the CLI's exit status; ``data`` holds numbers for Python callers.
    """

    summary: str
    outputs: list[Path] = field(default_factory=list)
    exit_code: int = 0
    stdout: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class AgentArgumentParser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are ConfigErrors (one `error:` line, exit 1)
    instead of argparse's usage dump and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError(f"{self.prog}: {message} (see `{self.prog} --help`)")


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Help that shows an option's default as ``[default: …]`` when it has a real one and its
    help does not already say it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (action.option_strings and action.default not in (None, False, argparse.SUPPRESS)
                and "[default" not in text):
            text += " [default: %(default)s]"
        return text


def agent_parser(name: str, description: str) -> AgentArgumentParser:
    """The parser an agent's ARGS start from: prog ``afs agents run NAME --``."""
    return AgentArgumentParser(prog=f"afs agents run {name} --", description=description,
                               formatter_class=DefaultsHelpFormatter)


class Agent:
    """Base class of agents. Subclasses set ``name`` and ``description``, add their
    arguments in :meth:`add_arguments` and do their work in :meth:`run`."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    model_backed: ClassVar[bool] = False

    def build_parser(self) -> argparse.ArgumentParser:
        """The parser for this agent's ARGS."""
        parser = agent_parser(self.name, self.description)
        self.add_arguments(parser)
        return parser

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add this agent's own arguments to ``parser`` (none by default)."""

    def run(self, args: argparse.Namespace) -> AgentResult:
        """Do the work; errors in the user's input are AfsErrors."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<agent {self.name}>"


@dataclass(frozen=True)
class AgentInfo:
    """One line of `afs agents list`."""

    name: str
    description: str
    model_backed: bool
    source: str  # built-in | plugin

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description,
                "model_backed": self.model_backed, "source": self.source}


def run_agent(agent: Agent, argv: Sequence[str]) -> AgentResult:
    """Parse ``argv`` with the agent's parser and run it. A leading ``--`` (the separator in
    `afs agents run NAME -- ARGS…`) is dropped; a plugin's run returning None counts as done."""
    argv = list(argv)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    args = agent.build_parser().parse_args(argv)
    result = agent.run(args)
    return result if isinstance(result, AgentResult) else AgentResult(summary="done")


# ------------------------------------------------------------------ the registry


def plugin_agents() -> dict[str, Any]:
    """Agents the configured plugins provide (``PLUGIN_AGENTS`` after ``load_plugins``):
    name -> agent class, factory, instance or ``"module:attribute"``."""
    plugins.load_plugins(load_config())
    return dict(plugins.PLUGIN_AGENTS)


def agent_entries() -> dict[str, tuple[Any, str]]:
    """name -> (entry, source) of every agent, built-ins first. A plugin agent whose name a
    built-in already has is ignored with a warning (built-ins cannot be replaced)."""
    entries: dict[str, tuple[Any, str]] = {name: (target, BUILTIN)
                                           for name, target in BUILTIN_AGENTS.items()}
    for name, entry in plugin_agents().items():
        if name in entries:
            log.warning("plugin agent %r ignored: a built-in agent has that name", name)
            continue
        entries[name] = (entry, PLUGIN)
    return entries


def instantiate(name: str, entry: Any) -> Agent:
    """The agent an entry stands for: a ``"module:attribute"`` is imported, a class or
    factory is called without arguments, an instance is used as is."""
    try:
        if isinstance(entry, str):
            module_name, _, attribute = entry.partition(":")
            entry = getattr(importlib.import_module(module_name), attribute)
        agent = entry() if isinstance(entry, type) or _is_factory(entry) else entry
    except (ImportError, AttributeError, TypeError) as exc:
        raise ConfigError(f"agent {name!r} cannot be loaded: {exc}") from exc
    missing = [attr for attr in ("build_parser", "run") if not callable(getattr(agent, attr, None))]
    if missing:
        raise ConfigError(f"agent {name!r} ({type(agent).__name__}) lacks "
                          f"{' and '.join(missing)}(); see docs/agents.md for the interface")
    return agent


def _is_factory(entry: Any) -> bool:
    """A plain function (or other callable) that makes an agent, not an agent itself."""
    return callable(entry) and not hasattr(entry, "run")


def get_agent(name: str) -> Agent:
    """The agent called ``name``; a ConfigError suggests the closest names otherwise."""
    entries = agent_entries()
    if name not in entries:
        close = difflib.get_close_matches(name, entries, n=2, cutoff=0.5)
        hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
        raise ConfigError(f"unknown agent {name!r}; {hint}available: {', '.join(sorted(entries))}"
                          " (`afs agents list`)")
    entry, _ = entries[name]
    return instantiate(name, entry)


def list_agents() -> list[AgentInfo]:
    """Every agent with its description, built-ins first, then plugins by name."""
    infos = []
    for name, (entry, source) in agent_entries().items():
        agent = instantiate(name, entry)
        infos.append(AgentInfo(name, str(getattr(agent, "description", "") or ""),
                               bool(getattr(agent, "model_backed", False)), source))
    return sorted(infos, key=lambda info: (info.source != BUILTIN, info.name))



def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temp file: a crash never leaves half a file."""
    path = Path(path).expanduser()
    with atomic_write(path) as handle:
        handle.write(text.encode("utf-8"))
    return path
