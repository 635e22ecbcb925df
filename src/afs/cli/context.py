"""`afs context init|validate|discover|ensure-all`: create, check, find and repair `.context`
folders.

Each command calls one function of ``afs.context`` (layout, validation, discovery, repair;
imported inside the command) and only formats what it returns. Layout and rules:
docs/context_format.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from afs.cli.group import AfsGroup
from afs.cli.options import UserPath, echo_summary
from afs.cli.registry import json_option
from afs.cli.tables import echo_table

FALLBACK_IGNORE = ("legacy", "archive", "archives")
FALLBACK_MAX_DEPTH = 6


@click.group(cls=AfsGroup)
def context() -> None:
    """Create, check, find and repair `.context` folders (an agent's memory, history, …)."""


def root_option(func):
    return click.option(
        "--path", "root", type=UserPath(), default=None, callback=_workspace_root,
        help="A `.context` folder, or a folder to search for them (e.g. ~/src) [default: "
             "~/<project.workspace_name> when the AFS config sets it, else .].")(func)


def _workspace_root(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path:
    """--path, else the home folder's ``project.workspace_name`` folder, else here."""
    if value is not None:
        return value
    from afs.config import load_config

    workspace = load_config().project.workspace_name
    return Path("~", workspace).expanduser() if workspace else Path(".")


def discovery_options(func):
    func = click.option(
        "--ignore", "ignore", multiple=True, metavar="NAME",
        help="Folder name (or glob) not to search; repeat for several. Replaces the configured "
             "list [default: general.discovery_ignore of the config, else "
             f"{', '.join(FALLBACK_IGNORE)}].")(func)
    return click.option(
        "--max-depth", type=click.IntRange(min=0), default=None,
        help="How many folder levels below --path to search (0: only PATH/.context) "
             f"[default: general.discovery_max_depth of the config, else {FALLBACK_MAX_DEPTH}]."
    )(func)


def discovery_settings(ignore: tuple[str, ...], max_depth: int | None
                       ) -> tuple[tuple[str, ...], int]:
    """The ignore list and depth limit: the options when given, else the config's
    ``general.discovery_ignore`` / ``discovery_max_depth``, else the built-in defaults."""
    configured_ignore, configured_depth = FALLBACK_IGNORE, FALLBACK_MAX_DEPTH
    try:
        from afs.config import load_config
    except ImportError:
        pass
    else:
        general = load_config().general
        configured_ignore = tuple(getattr(general, "discovery_ignore", configured_ignore))
        configured_depth = int(getattr(general, "discovery_max_depth", configured_depth))
    return (ignore or configured_ignore,
            configured_depth if max_depth is None else max_depth)


def find_contexts(root: Path, ignore: tuple[str, ...], max_depth: int | None
                  ) -> tuple[list, list[dict[str, str]], tuple[str, ...], int]:
    """Discovered contexts, the folders that could not be searched (also warned about on
    stderr), and the ignore list and depth used."""
    from afs.context.discovery import discover_contexts

    ignore, max_depth = discovery_settings(ignore, max_depth)
    unreadable: list[dict[str, str]] = []
    found = discover_contexts(root, ignore=ignore, max_depth=max_depth,
                              on_error=warner(unreadable))
    return found, unreadable, ignore, max_depth


def warner(unreadable: list[dict[str, str]]):
    """An ``on_error`` for discovery: warn on stderr and note the folder in ``unreadable``."""

    def warn(folder: Path, exc: OSError) -> None:
        unreadable.append({"path": str(folder), "error": exc.strerror or str(exc)})
        click.echo(f"warning: {folder}: not searched: {exc.strerror or exc}", err=True)

    return warn


def _echo_json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


@context.command("init")
@click.option("--path", "path", type=UserPath(), required=True,
              help="The `.context` folder to create (e.g. ~/.context), or a project folder to "
                   "create `.context` in.")
@click.option("--context-name", "name", default=None,
              help="The context's name, stored in metadata.json [default: `default` for "
                   "~/.context, else the project folder's name].")
@click.option("--force", is_flag=True,
              help="Rewrite metadata.json of an existing context (nothing is deleted).")
@json_option
def init(path: Path, name: str | None, force: bool, as_json: bool) -> None:
    """Create a `.context` folder with the standard layout and a metadata.json."""
    from afs.context.layout import CONTEXT_DIRS, init_context

    info = init_context(path, name, force=force)
    if as_json:
        _echo_json(info.to_dict())
        return
    echo_summary(f"context {info.name!r} at {info.path} "
                 f"({', '.join(CONTEXT_DIRS)}, metadata.json)")


@context.command("validate")
@root_option
@discovery_options
@json_option
@click.pass_context
def validate(ctx: click.Context, root: Path, ignore: tuple[str, ...], max_depth: int | None,
             as_json: bool) -> None:
    """Check every context at or under --path; print `path: code: message` per problem.

    Exit code 1 when any context has a problem.
    """
    from afs.context.validation import validate_context

    found, unreadable, _, depth = find_contexts(root, ignore, max_depth)
    results = [(context.path, validate_context(context.path)) for context in found]
    total = sum(len(problems) for _, problems in results)
    if as_json:
        _echo_json({"root": str(root), "problems": total, "unreadable": unreadable,
                    "contexts": [{"path": str(path), "problems": [p.to_dict() for p in problems]}
                                 for path, problems in results]})
    else:
        for _, problems in results:
            for problem in problems:
                click.echo(str(problem))
        echo_summary(_validate_summary(root, results, total, depth))
    if total:
        ctx.exit(1)


def _validate_summary(root: Path, results: list, total: int, depth: int) -> str:
    if not results:
        return f"no .context folders at or under {root} (max depth {depth})"
    broken = sum(1 for _, problems in results if problems)
    if not total:
        return f"{_count(len(results), 'context')}, no problems"
    return f"{_count(len(results), 'context')}, {broken} with problems ({_count(total, 'problem')})"


@context.command("discover")
@root_option
@discovery_options
@json_option
def discover(root: Path, ignore: tuple[str, ...], max_depth: int | None, as_json: bool) -> None:
    """Find the `.context` folders under --path, with their names, file counts and sizes."""
    found, unreadable, ignore, depth = find_contexts(root, ignore, max_depth)
    if as_json:
        _echo_json({"root": str(root), "max_depth": depth, "ignore": list(ignore),
                    "unreadable": unreadable, "contexts": [c.to_dict() for c in found]})
        return
    if found:
        rows = [(str(c.path), c.name or "-", str(c.files), _size(c.bytes)) for c in found]
        echo_table(("PATH", "NAME", "FILES", "SIZE"), rows, right=("FILES", "SIZE"))
    echo_summary(f"{_count(len(found), 'context')} under {root} (max depth {depth}; "
                 f"ignored: {', '.join(ignore) or 'nothing'})")


@context.command("ensure-all")
@root_option
@discovery_options
@click.option("--dry-run", is_flag=True, help="Show what would be repaired; write nothing.")
@json_option
def ensure_all_command(root: Path, ignore: tuple[str, ...], max_depth: int | None,
                       dry_run: bool, as_json: bool) -> None:
    """Repair every context at or under --path: create missing standard folders and write
    or fix metadata.json (nothing is deleted, nothing is written outside --path)."""
    from afs.context.repair import ensure_all

    ignore, depth = discovery_settings(ignore, max_depth)
    unreadable: list[dict[str, str]] = []
    repairs = ensure_all(root, ignore=ignore, max_depth=depth, dry_run=dry_run,
                         on_error=warner(unreadable))
    actions = sum(len(repair.actions) for repair in repairs)
    if as_json:
        _echo_json({"root": str(root), "dry_run": dry_run, "unreadable": unreadable,
                    "contexts": [repair.to_dict() for repair in repairs]})
        return
    for repair in repairs:
        if repair.skipped:
            click.echo(f"warning: {repair.path}: skipped: {repair.skipped}", err=True)
        for action in repair.actions:
            click.echo(f"{'would ' if dry_run else ''}{action}")
    repaired = sum(1 for repair in repairs if repair.actions)
    verb = "need repair" if dry_run else "repaired"
    skipped = sum(1 for repair in repairs if repair.skipped)
    tail = f", {skipped} skipped (outside --path)" if skipped else ""
    tail += "; dry run, nothing written" if dry_run else ""
    echo_summary(f"{_count(len(repairs), 'context')}, {repaired} {verb} "
                 f"({_count(actions, 'action')}){tail}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    size = n / 1024
    for unit in ("KiB", "MiB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
