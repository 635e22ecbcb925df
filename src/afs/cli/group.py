"""The click group class every `afs` group uses: lazy subcommands and one-line user errors.

Nothing heavy is imported here: `afs --help` must stay fast.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import warnings
from typing import Any

import click

from afs.errors import AfsError, AfsWarning
from afs.jsonl_input import IS_A_FOLDER

DEBUG_ENV = "AFS_DEBUG"  # set to 1 to see the traceback behind an `error:` line


class UserError(click.ClickException):
    """A problem with the user's input: printed as one `error: …` line, exit code 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        message = " ".join(self.format_message().split())  # always one line
        click.echo(f"error: {message}", err=True, file=file)


_python_showwarning = warnings.showwarning


def show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: Any = None, line: str | None = None) -> None:
    """AfsWarnings as one `warning: …` line on stderr; other warnings as Python shows them."""
    if issubclass(category, AfsWarning):
        click.echo(f"warning: {' '.join(str(message).split())}", err=True)
    else:
        _python_showwarning(message, category, filename, lineno, file, line)


def user_error_for(exc: BaseException) -> UserError | None:
    """The UserError that stands for ``exc``, or None when ``exc`` is a bug to show in full."""
    if isinstance(exc, AfsError):
        return UserError(str(exc))
    if isinstance(exc, OSError) and exc.filename:  # a user path: missing, unreadable, a folder…
        # a folder in the words of the readers' own check (afs.jsonl_input)
        why = IS_A_FOLDER if isinstance(exc, IsADirectoryError) else exc.strerror or exc
        return UserError(f"{exc.filename}: {why}")
    return None


def summary_of(command: click.Command) -> str:
    """A command's one-line summary for its group's list: ``short_help``, else the first
    sentence of its help, whole (click would cut it at the terminal's width with "...")."""
    if command.short_help:
        return command.short_help
    first_paragraph = inspect.cleandoc(command.help or "").split("\n\n")[0]
    text = " ".join(first_paragraph.split())
    sentence = re.match(r"(.+?[.!?])(?:\s|$)", text)
    return sentence.group(1) if sentence else text


class AfsGroup(click.Group):
    """A click group whose subcommands may be imported on first use, and whose commands'
    AfsErrors and path errors become one-line messages instead of tracebacks.

    ``lazy_subcommands`` maps a command name to ``"module:attribute"``. Subgroups created with
    ``@group.group()`` are AfsGroups too, so the rule also holds when Kedro's own CLI runs them.
    """

    group_class = type  # subgroups use this same class

    def __init__(self, *args: Any, lazy_subcommands: dict[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = dict(lazy_subcommands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_subcommands and cmd_name not in self.commands:
            module_name, attribute = self.lazy_subcommands[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module_name), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands with their whole summaries, wrapped under each other."""
        rows = [(name, summary_of(command)) for name in self.list_commands(ctx)
                if (command := self.get_command(ctx, name)) is not None and not command.hidden]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", AfsWarning)  # each shortfall, not only the first
                warnings.showwarning = show_warning
                return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as exc:
            error = user_error_for(exc)
            if error is None or os.environ.get(DEBUG_ENV):
                raise
            raise error from exc
