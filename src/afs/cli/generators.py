"""`afs generators …`: list the sample generators and run one into a JSONL file."""

from __future__ import annotations

import json
from pathlib import Path

import click

from afs.cli.group import AfsGroup, UserError
from afs.cli.options import UserPath, show_progress
from afs.cli.tables import echo_table

_SHOWN_SKIPS = 5


@click.group(cls=AfsGroup)
def generators() -> None:
    """Sample generators: the built-ins (oracle, memory, history, knowledge) and any a package
    registers under the `afs.generators` entry-point group."""


@generators.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per generator.")
def list_command(as_json: bool) -> None:
    """List generators by name, with where they come from and the parameters they take."""
    from afs.generators.plugins import load_configured_plugins
    from afs.generators.lookup import available_generators, generator_parameters

    load_configured_plugins()
    rows = []
    for name, info in available_generators().items():
        try:
            params = {p: _shown(d) for p, d in generator_parameters(name).items()}
        except Exception as error:  # a broken plug-in is listed, not fatal
            params = {"error": str(error)}
        if as_json:
            click.echo(json.dumps({"name": name, "target": info.target, "origin": info.origin,
                                   "parameters": params}))
        rows.append((name, info.origin, info.target,
                     ", ".join(f"{p}={d}" if d != "REQUIRED" else f"{p} (required)"
                               for p, d in params.items())))
    if not as_json:
        echo_table(("NAME", "ORIGIN", "TARGET", "PARAMETERS"), rows)


def _shown(default):
    import inspect

    if default is inspect.Parameter.empty:
        return "REQUIRED"
    return default if isinstance(default, (str, int, float, bool, type(None))) else repr(default)


def _parse_params(pairs: tuple[str, ...]) -> dict:
    """``key=value`` pairs; values read as YAML scalars/lists (true, 3, [a, b], ~/path)."""
    import yaml

    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UserError(f"--param {pair!r}: write key=value")
        params[key.strip()] = yaml.safe_load(value) if value else ""
    return params


@generators.command("run")
@click.argument("name")
@click.option("--output", "output", type=UserPath(), required=True,
              help="JSONL file to write the samples to (written atomically).")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A generator parameter (repeatable), e.g. --param oracle_path=~/src/oracle "
                   "--param keep_comments=true. `afs generators list` shows them.")
@click.option("--limit", type=int, default=None, help="Stop after this many samples.")
def run_command(name: str, output: Path, params: tuple[str, ...], limit: int | None) -> None:
    """Run generator NAME and write its samples to --output.

    Files it cannot use (not UTF-8, binary, too large, unreadable, symlink loops) are skipped
    with a reason; the summary counts them and shows the first few.
    """
    from itertools import islice

    from tqdm import tqdm

    from afs.generators.plugins import load_configured_plugins
    from afs.generators.lookup import create_generator
    from afs.samples.jsonl import write_samples
    from afs.secrets.gate import redact_samples, redacted_skipped

    load_configured_plugins()
    generator = create_generator(name, **_parse_params(params))
    samples = redact_samples(generator.generate())  # as in data_generation: no secret written
    if limit is not None:
        samples = islice(samples, limit)
    with tqdm(samples, desc=name, unit=" samples", disable=not show_progress(),
              leave=False) as progress:
        written = write_samples(progress, output)
    skipped = redacted_skipped(generator.skipped)
    click.echo(f"{name}: {written} samples -> {output}"
               + (f" ({len(skipped)} skipped)" if skipped else ""))
    if generator.stats:  # what the generator counted, e.g. symbols without a description
        click.echo("  " + ", ".join(f"{key.replace('_', ' ')}: {value}"
                                    for key, value in sorted(generator.stats.items())))
    for item in skipped[:_SHOWN_SKIPS]:
        click.echo(f"  skipped {item}", err=True)
    if len(skipped) > _SHOWN_SKIPS:
        click.echo(f"  … and {len(skipped) - _SHOWN_SKIPS} more", err=True)
