"""`afs services list|start|stop|restart|status|logs|install`: the background services.

Each command calls one function of ``afs.services`` (imported inside the command) and only
formats what it returns. Services, state files and environment: docs/services.md.
"""

from __future__ import annotations

import json

import click

from afs.cli.group import AfsGroup
from afs.cli.registry import json_option
from afs.cli.tables import echo_table

NAME = click.argument("name", metavar="NAME")


def timeout_option(func):
    return click.option("--timeout", "timeout_s", type=click.FloatRange(min=0), default=10.0,
                        show_default=True,
                        help="Seconds to wait after SIGTERM before sending SIGKILL.")(func)


@click.group(cls=AfsGroup)
def services() -> None:
    """Background services: memory-export and context-warm (docs/services.md).

    `start` runs one in the background with the built-in supervisor (state and log in
    $AFS_SERVICES_DIR, default ~/.local/state/afs/services); `install` hands it to systemd
    or launchd instead.
    """


@services.command("list")
@json_option
def list_services(as_json: bool) -> None:
    """Every service, whether it runs, and what it does."""
    from afs.services import get_service
    from afs.services.supervisor import list_services as judge_all

    judgements = judge_all()
    if as_json:
        click.echo(json.dumps([_status_dict(j) for j in judgements], indent=2))
        return
    rows = [(j.name, j.status, j.pid or "-", get_service(j.name).description) for j in judgements]
    echo_table(("NAME", "STATUS", "PID", "DESCRIPTION"), rows, right=("PID",))


@services.command("start")
@NAME
def start(name: str) -> None:
    """Start NAME in the background (a no-op when it runs already)."""
    from afs.services.supervisor import start as start_service

    click.echo(start_service(name).message)


@services.command("stop")
@NAME
@timeout_option
def stop(name: str, timeout_s: float) -> None:
    """Stop NAME: SIGTERM (it finishes its current round), then SIGKILL after --timeout."""
    from afs.services.supervisor import stop as stop_service

    click.echo(stop_service(name, timeout_s=timeout_s).message)


@services.command("restart")
@NAME
@timeout_option
def restart(name: str, timeout_s: float) -> None:
    """Stop NAME if it runs, then start it (with this shell's environment, e.g. a new
    AFS_CONTEXT_WARM_INTERVAL)."""
    from afs.services.supervisor import restart as restart_service

    click.echo(restart_service(name, timeout_s=timeout_s).message)


@services.command("status")
@click.argument("name", metavar="[NAME]", required=False)
@json_option
def status(name: str | None, as_json: bool) -> None:
    """Whether NAME (default: every service) is running, stopped or crashed, and why.

    Exit code 0, or 1 when a service crashed (its process is gone without a clean stop)."""
    from afs.cli.group import UserError
    from afs.services.state import CRASHED, log_path, services_dir, state_path
    from afs.services.supervisor import list_services as judge_all
    from afs.services.supervisor import status as judge_one

    directory = services_dir()
    judgements = [judge_one(name, directory)] if name else judge_all(directory)
    if as_json:
        documents = [_status_dict(j) for j in judgements]
        click.echo(json.dumps(documents[0] if name else documents, indent=2))
    else:
        for judgement in judgements:
            click.echo(f"{judgement.name}: {judgement.status} ({judgement.detail})")
            state = judgement.state
            if state is not None and state.interval_s:
                click.echo(f"  interval: {state.interval_s:g} s; ticks: {state.ticks} "
                           f"(last {state.last_tick_at or 'none yet'})")
            click.echo(f"  state:    {state_path(directory, judgement.name)}")
            click.echo(f"  log:      {log_path(directory, judgement.name)}")
    crashed = [j for j in judgements if j.status == CRASHED]
    if crashed:
        raise UserError("; ".join(f"{j.name} crashed: {j.detail}" for j in crashed)
                        + f"; see its log in {directory}")


@services.command("logs")
@NAME
@click.option("-n", "--lines", "count", type=click.IntRange(min=0), default=50,
              show_default=True, help="How many of the last lines to show.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until Ctrl-C.")
def logs(name: str, count: int, follow: bool) -> None:
    """The last lines of NAME's log."""
    from afs.services import get_service
    from afs.services.logs import follow_lines, tail_lines
    from afs.services.state import log_path, services_dir

    get_service(name)
    path = log_path(services_dir(), name)
    if not path.exists() and not follow:
        click.echo(f"{name} has no log yet ({path})", err=True)
        return
    for line in tail_lines(path, count):
        click.echo(line)
    if follow:
        try:
            for line in follow_lines(path):
                click.echo(line)
        except KeyboardInterrupt:
            pass


@services.command("install")
@NAME
@click.option("--dry-run", is_flag=True, help="Print the unit or plist; write and run nothing.")
@click.option("--manager", type=click.Choice(["systemd", "launchd"]), default=None,
              help="Init system [default: launchd on macOS, else systemd].")
def install(name: str, dry_run: bool, manager: str | None) -> None:
    """Write and enable a systemd user unit (Linux) or launchd agent (macOS) for NAME."""
    from afs.services.install import install as install_service

    result = install_service(name, manager=manager, dry_run=dry_run)
    if dry_run:
        click.echo(f"# {result.path}")
        click.echo(result.text.rstrip("\n"))
        click.echo(f"# then: {'; '.join(result.commands)}")
        return
    click.echo(f"{name}: wrote {result.path}; ran {'; '.join(result.commands)}")


def _status_dict(judgement) -> dict:
    state = judgement.state.to_dict() if judgement.state else None
    return {"name": judgement.name, "status": judgement.status, "detail": judgement.detail,
            "pid": judgement.pid, "state": state}
