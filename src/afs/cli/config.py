"""`afs config show`: the merged AFS settings and where each value came from.

The settings are loaded by ``afs.config.load_config`` (keys and precedence:
docs/configuration.md); this module only formats them.
"""

from __future__ import annotations

import json
import warnings

import click

from afs.cli.group import AfsGroup
from afs.errors import ConfigError


@click.group(cls=AfsGroup)
def config() -> None:
    """Show the merged AFS settings: ~/.config/afs/config.toml, afs.toml, AFS_* variables."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON document ({config, sources}) instead of text.")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="Override a setting as a flag would, e.g. embeddings.provider=hf; repeatable.")
def show(as_json: bool, assignments: tuple[str, ...]) -> None:
    """Print every setting as `section.key = value  (source)`; the source is "default", a
    file, "env:AFS_…" or "flag". Unknown keys in a file are reported as warnings."""
    from afs.config import load_config

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            settings = load_config(overrides=_parse_assignments(assignments))
        finally:
            for warning in caught:
                click.echo(f"warning: {warning.message}", err=True)
    if as_json:
        click.echo(json.dumps({"config": settings.to_dict(), "sources": settings.sources},
                              indent=2))
        return
    plain = settings.to_dict()
    for key, _, source in settings.settings():
        section, name = key.split(".")
        click.echo(f"{key} = {json.dumps(plain[section][name])}  ({source})")


def _parse_assignments(assignments: tuple[str, ...]) -> dict[str, str]:
    parsed = {}
    for assignment in assignments:
        key, equals, value = assignment.partition("=")
        if not equals or not key.strip():
            raise ConfigError(f"--set {assignment!r}: expected KEY=VALUE, "
                              "e.g. embeddings.provider=hf")
        parsed[key.strip()] = value
    return parsed
