"""Every `afs` help page tells the whole story: a group lists each command's whole summary
(never cut with "..."), and every option says what it does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from afs.cli import cli


def _commands() -> Iterator[tuple[str, click.Command]]:
    def walk(command: click.Command, ctx: click.Context, path: str):
        yield path, command
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                yield from walk(sub, click.Context(sub, parent=ctx, info_name=name),
                                f"{path} {name}")

    yield from walk(cli, click.Context(cli, info_name="afs"), "afs")


def test_every_option_has_help_text():
    missing = [f"{path} {'/'.join(param.opts)}" for path, command in _commands()
               for param in command.params
               if isinstance(param, click.Option) and param.name != "help" and not param.help]
    assert missing == []


def test_group_help_shows_whole_summaries(afs):
    for group in ("", "training", "discriminator", "context"):
        result = afs(*group.split(), "--help", COLUMNS="80")
        assert result.returncode == 0, result.stderr
        commands = result.stdout.split("Commands:")[1]
        assert "..." not in commands, commands
    assert "ELECTRA discriminator that tells real 65816 asm from\n" in afs("--help").stdout


def test_deploy_convert_defaults_to_the_pipeline_quantization(afs):
    import yaml

    conf = Path(__file__).resolve().parents[2] / "conf/base/parameters_deployment.yml"
    pipeline_default = yaml.safe_load(conf.read_text())["deployment"]["quantization"]
    result = afs("deploy", "convert", "--help", COLUMNS="200")
    assert f"[default: {pipeline_default}]" in result.stdout


def test_rejects_and_rejected_are_one_option_everywhere():
    spellings = {}
    for path, command in _commands():
        for param in command.params:
            names = set(getattr(param, "opts", []))
            if names & {"--rejects", "--rejected"}:
                spellings[path] = names
    assert "afs discriminator filter" in spellings and "afs training rebalance" in spellings
    assert all(names >= {"--rejects", "--rejected"} for names in spellings.values()), spellings
