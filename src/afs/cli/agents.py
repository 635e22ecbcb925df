"""`afs agents list|run`: the built-in and plugin agents (``afs.agents``).

`afs agents run NAME -- ARGS…` hands everything after NAME (``--`` optional) to the agent's
own argument parser, so ``afs agents run researcher -- --help`` shows the agent's options.
"""

from __future__ import annotations

import json

import click

from afs.cli.group import AfsGroup


@click.group(cls=AfsGroup)
def agents() -> None:
    """Agents: context-audit, researcher, scribe-draft and those plugins add."""


@agents.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
def list_command(as_json: bool) -> None:
    """List the agents: name, whether it needs a model server, where it comes from."""
    from afs.agents.base import list_agents
    from afs.cli.tables import echo_table

    infos = list_agents()
    if as_json:
        click.echo(json.dumps([info.to_dict() for info in infos], indent=2))
        return
    rows = [(info.name, "model" if info.model_backed else "local", info.source, info.description)
            for info in infos]
    echo_table(("NAME", "NEEDS", "SOURCE", "DESCRIPTION"), rows)


@agents.command("run", context_settings={"ignore_unknown_options": True,
                                         "allow_interspersed_args": False})
@click.argument("name")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run_command(name: str, args: tuple[str, ...]) -> None:
    """Run agent NAME with its own ARGS (after an optional `--`).

    `afs agents run NAME -- --help` shows the agent's arguments. Model-backed agents take
    --endpoint URL and --model ID (default: http://127.0.0.1:<orchestration.port>).
    """
    from afs.agents.base import get_agent, run_agent

    agent = get_agent(name)
    result = run_agent(agent, args)
    if result.stdout is not None:
        click.echo(result.stdout)
    click.echo(f"{name}: {result.summary}", err=result.stdout is not None)
    if result.exit_code:
        click.get_current_context().exit(result.exit_code)
