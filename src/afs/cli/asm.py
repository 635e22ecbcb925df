"""`afs asm …`: check 65816 asar source from the shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from afs.cli.group import AfsGroup
from afs.cli.options import UserPath, executor_config, executor_options, show_progress

BACKENDS = ("builtin", "asar")  # afs.asm.validate's backends


@click.group(cls=AfsGroup)
def asm() -> None:
    """65816 assembly for the asar assembler: validate source files."""


@asm.command("validate")
@click.argument("files", nargs=-1, required=True, type=UserPath())
@click.option("--backend", type=click.Choice(BACKENDS), default="builtin", show_default=True,
              help="'builtin' needs nothing installed; 'asar' assembles with a real asar binary "
                   "(on PATH, or set AFS_ASAR).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per file (valid, errors, warnings) instead of text.")
@click.option("--warnings/--no-warnings", "show_warnings", default=False, show_default=True,
              help="Also print warnings (symbols defined in other files, asar's notes).")
@executor_options("validation")
def validate_command(files: tuple[Path, ...], backend: str, as_json: bool,
                     show_warnings: bool, executor: str, ray_address: str | None,
                     workers: int | None) -> None:
    """Validate asar source FILES: print each error as `file:line:col: code message`.

    Exit code 1 when any file has an error. Labels, defines and macros defined in other files
    are not errors (they are warnings: see --warnings).
    """
    from tqdm import tqdm

    from afs.asm import validate
    from afs.executors.stages import validate_texts

    def read(path: Path) -> str:
        return path.read_text(encoding="utf-8", errors="replace")

    config = executor_config(executor, ray_address, workers)
    if config.is_ray:  # every file on the cluster first, then the report in file order
        verdicts = iter(validate_texts([read(path) for path in files], backend, config))
    failed = errors = lines = 0
    progress = tqdm(files, desc="validate", unit="file", leave=False,
                    disable=not show_progress() or len(files) < 20)
    for path in progress:
        result = next(verdicts) if config.is_ray else validate(read(path), backend=backend)
        lines += result.lines
        errors += len(result.errors)
        failed += not result.valid
        if as_json:
            click.echo(json.dumps({"file": str(path), **result.to_dict()}))
            continue
        for issue in result.errors:
            progress.write(f"{path}:{issue.line}:{issue.column}: {issue.code} {issue.message}",
                           file=sys.stdout)
        for issue in result.warnings if show_warnings else ():
            progress.write(f"{path}:{issue.line}:{issue.column}: warning {issue.code} "
                           f"{issue.message}", file=sys.stdout)
    if not as_json:
        verdict = "ok" if not failed else f"{errors} error{'s' * (errors != 1)} in {failed} file" \
            f"{'s' * (failed != 1)}"
        click.echo(f"{len(files)} file{'s' * (len(files) != 1)}, {lines} lines: {verdict}",
                   err=True)
    sys.exit(1 if failed else 0)
