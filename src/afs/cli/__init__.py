"""The `afs` command.

Kedro imports this package too (`kedro run`, `kedro --help`): it needs the click group ``cli``
and the ``run`` command here. ``run`` is resolved on first use so that `afs --help` never
imports Kedro; command groups are imported only when named, and their commands import the
library inside their bodies, so that `afs --help` and `afs GROUP --help` load only light
modules (no pandas, torch or MLflow). That is the reason for every function-local import in
``afs.cli``; they carry no comment of their own.
"""

from __future__ import annotations

from typing import Any

import click

from afs import __version__
from afs.cli.group import AfsGroup

# name -> "module:attribute"; add a line here to add a command group.
COMMAND_GROUPS = {
    "training": "afs.cli.training:training",
    "tokenizer": "afs.cli.tokenizer:tokenizer",
    "asm": "afs.cli.asm:asm",
    "generators": "afs.cli.generators:generators",
    "knowledge": "afs.cli.knowledge:knowledge",
    "discriminator": "afs.cli.discriminator:discriminator",
    "deploy": "afs.cli.deploy:deploy",
    "evaluate": "afs.cli.evaluate:evaluate",
    "embeddings": "afs.cli.embeddings:embeddings",
    "services": "afs.cli.services:services",
    "agents": "afs.cli.agents:agents",
    "context": "afs.cli.context:context",
    "config": "afs.cli.config:config",
}


@click.group(cls=AfsGroup, lazy_subcommands=COMMAND_GROUPS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="afs")
def cli() -> None:
    """AFS: turn a 65816 assembly codebase and its context into training data and models.

    Errors in your input are reported as one `error: …` line with exit code 1
    (set AFS_DEBUG=1 to see the traceback).
    """


def main() -> None:
    """Entry point of the `afs` console script."""
    from afs.secrets.log_redaction import install_log_redaction

    install_log_redaction()  # a library's log line must not print a secret either
    cli.main(prog_name="afs")


def __getattr__(name: str) -> Any:
    if name == "run":  # Kedro's run command, for `kedro run` (see the module docstring)
        from kedro.framework.cli.project import run

        return run
    raise AttributeError(f"module 'afs.cli' has no attribute {name!r}")
