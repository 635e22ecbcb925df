"""`afs asm …`: check 65816 asar source from the shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from afs.cli.group import AfsGroup
from afs.cli.options import (UserPath, counted, executor_config, executor_options,
                             show_progress)

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
@click.option("--include-path", "-I", "include_paths", multiple=True, type=UserPath(),
              help="Also look for incsrc/incbin files here (as asar's -I; repeatable). They are "
                   "first looked for next to the file including them.")
@click.option("--define", "-D", "define_options", multiple=True, metavar="NAME[=VALUE]",
              help="Set a define before the file is read, as asar's -D (repeatable; the "
                   "built-in validator).")
@executor_options("validation")
def validate_command(files: tuple[Path, ...], backend: str, as_json: bool,
                     show_warnings: bool, include_paths: tuple[Path, ...],
                     define_options: tuple[str, ...], executor: str, ray_address: str | None,
                     workers: int | None) -> None:
    """Validate asar source FILES: print each error as `file:line:col: code message`.

    Each file is read as asar assembles it: its incsrc files are followed (next to the
    including file, then in --include-path folders, then in the working directory) and
    checked with it, and an issue in one of them names that file. A file that includes no
    other may itself be included by another: what it leaves to that file (a pullpc whose
    pushpc is there, a sub label under a label there) is a warning, not an error.

    Exit code 1 when any file has an error. Labels, defines and macros defined in other files
    are not errors (they are warnings: see --warnings). With --executor ray each worker reads
    the files and what they include from its own disk (on a cluster, the same paths must
    exist there); the verdicts are the same as a local run's.
    """
    from tqdm import tqdm

    from afs.asm import validate
    from afs.executors.stages import validate_files

    def read(path: Path) -> str:
        return path.read_text(encoding="utf-8", errors="replace")

    if define_options and backend == "asar":
        raise click.UsageError("--define is read by the built-in validator only (the asar "
                               "backend takes none)")
    defines = dict((item.split("=", 1) + [""])[:2] for item in define_options)
    config = executor_config(executor, ray_address, workers)
    if config.is_ray:  # every file on the cluster first, then the report in file order
        verdicts = iter(validate_files([path.resolve() for path in files], backend, config,
                                       include_dirs=[d.resolve() for d in include_paths],
                                       defines=defines))
    failed = errors = lines = 0
    progress = tqdm(files, desc="validate", unit="file", leave=False,
                    disable=not show_progress() or len(files) < 20)
    for path in progress:
        result = next(verdicts) if config.is_ray else validate(
            read(path), backend=backend, path=path, include_dirs=list(include_paths),
            defines=defines)
        lines += result.lines
        errors += len(result.errors)
        failed += not result.valid
        if as_json:  # each issue names its file: this one, or one it includes
            report = result.to_dict()
            for issue in report["errors"] + report["warnings"]:
                issue["file"] = issue["file"] or str(path)
            click.echo(json.dumps({"file": str(path), **report}))
            continue
        for issue in result.errors:
            progress.write(f"{issue.file or path}:{issue.line}:{issue.column}: {issue.code} "
                           f"{issue.message}", file=sys.stdout)
        for issue in result.warnings if show_warnings else ():
            progress.write(f"{issue.file or path}:{issue.line}:{issue.column}: warning "
                           f"{issue.code} {issue.message}", file=sys.stdout)
    if not as_json:
        verdict = "ok" if not failed else \
            f"{counted(errors, 'error')} in {counted(failed, 'file')}"
        click.echo(f"{counted(len(files), 'file')}, {lines} lines: {verdict}",
                   err=True)
    sys.exit(1 if failed else 0)
