"""Options and summary helpers shared by `afs` commands (light imports only)."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import click

from afs.errors import ConfigError
from afs.samples.reasons import REJECTS_SUFFIX, rejects_path_beside  # light

DEFAULT_SEED = 42


class UserPath(click.Path):
    """A path option that expands ``~`` and arrives as a ``Path``.

    Existence is left to the library, which names the file in its error (exit code 1).
    """

    def __init__(self, **kwargs: Any):
        super().__init__(path_type=Path, **kwargs)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            value = os.path.expanduser(value)
        return super().convert(value, param, ctx)


def path_option(flag: str, dest: str, help: str, multiple: bool = False):  # noqa: A002
    """A required path option (``~`` expanded)."""
    return click.option(flag, dest, type=UserPath(), required=True, multiple=multiple, help=help)


def input_option(help: str, multiple: bool = False):  # noqa: A002
    """``--input PATH`` (required)."""
    return path_option("--input", "input_path", help, multiple=multiple)


def output_option(help: str):  # noqa: A002
    """``--output PATH`` (required)."""
    return path_option("--output", "output_path", help)


def seed_option(what: str):
    """``--seed N``: ``what`` says what the seed drives."""
    return click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
                        help=f"Random seed for {what}.")


DROPPED = "Where dropped samples go, each with its reject_step and reject_reason"


def rejects_option(what: str = DROPPED):
    """``--rejects PATH`` (or ``--rejected``, the spelling of ``afs discriminator filter``),
    defaulting to ``<output without .jsonl>.rejects.jsonl``."""
    return click.option(
        "--rejects", "--rejected", "rejects_path", type=UserPath(), default=None,
        help=f"{what} [default: <output without .jsonl>{REJECTS_SUFFIX}; written only if any].")


def allow_empty_option():
    """``--allow-empty``: an input without records is fine (else an error naming the file)."""
    return click.option("--allow-empty", is_flag=True,
                        help="Accept an input without records (empty, or blank lines only) and "
                             "write empty outputs, instead of stopping with an error.")


def ratio_option(flag: str, default: float | None, help: str):  # noqa: A002
    """A float option for a ratio; the library checks its range (the rule lives there)."""
    return click.option(flag, type=float, default=default, show_default=default is not None,
                        help=help)


def rejects_path_for(output: Path, given: Path | None = None) -> Path:
    """``given``, else ``<output without .jsonl>.rejects.jsonl`` beside the output."""
    return given if given is not None else rejects_path_beside(output)


def parse_weights(values: Iterable[str]) -> dict[str, float]:
    """``["oracle=0.4", "memory=0.6"]`` -> ``{"oracle": 0.4, "memory": 0.6}``."""
    weights: dict[str, float] = {}
    for value in values:
        name, sep, number = value.rpartition("=")
        name = name.strip()
        try:
            weight = float(number)
        except ValueError:
            weight = None
        if not sep or not name or weight is None:
            raise ConfigError(f"--weight {value!r}: expected NAME=WEIGHT, e.g. --weight oracle=0.4")
        if name in weights:
            raise ConfigError(f"--weight {name!r} is given twice")
        weights[name] = weight
    return weights


def show_progress() -> bool:
    """Progress bars only for a person watching: the library draws them whenever asked."""
    return sys.stderr.isatty()


def rejects_note(counts: Mapping[str, int], path: Path | str | None, label: str = "rejected") -> str:
    """`` (3 rejected: low_quality x2, domain_cap x1 -> out.rejects.jsonl)``, or `` (0 rejected)``."""
    total = sum(counts.values())
    if not total:
        return f" (0 {label})"
    kinds = ", ".join(f"{kind} x{n}" for kind, n in Counter(counts).most_common())
    where = f" -> {path}" if path else ""
    return f" ({total} {label}: {kinds}{where})"


def counted(count: int, noun: str) -> str:
    """``1 input``, ``2 inputs``: a count with its noun in the right number."""
    return f"{count} {noun}{'s' * (count != 1)}"


def echo_summary(text: str) -> None:
    """The one line a command ends with, prefixed by the command's name."""
    click.echo(f"{click.get_current_context().info_name}: {text}")


def executor_options(what: str, work_dir: bool = False):
    """``--executor local|ray``, ``--ray-address`` and ``--workers`` (afs.executors); with
    ``work_dir`` also ``--work-dir`` and ``--shard-rows`` (kept shards, resume)."""

    def decorate(command):
        if work_dir:
            command = click.option(
                "--shard-rows", type=click.IntRange(min=1), default=100_000, show_default=True,
                help="Rows per Parquet shard.")(command)
            command = click.option(
                "--work-dir", type=UserPath(), default=None,
                help="Folder for the shards, kept so that a re-run over the same inputs "
                     "resumes; on a multi-node Ray cluster one every node reads [default: a "
                     "temporary folder, removed afterwards].")(command)
        command = click.option("--workers", type=click.IntRange(min=1), default=None,
                               help="Ray: actors in the pool [default: one per CPU of the "
                                    "cluster].")(command)
        command = click.option("--ray-address", default=None,
                               help="Ray cluster to run on (e.g. auto, ray://host:10001); "
                                    "implies --executor ray [default: start a local Ray].",
                               )(command)
        return click.option("--executor", type=click.Choice(["local", "ray"]), default="local",
                            show_default=True,
                            help=f"Where {what} runs: in this process, or on Ray (pip install "
                                 f"'afs[ray]'); both give the same results.")(command)

    return decorate


def executor_config(executor: str, ray_address: str | None, workers: int | None, **settings: Any):
    """The ExecutorConfig the executor options ask for (``settings``: work_dir, shard_rows)."""
    from afs.executors import ExecutorConfig

    kind = "ray" if ray_address else executor
    given = {key: str(value) if isinstance(value, Path) else value
             for key, value in settings.items() if value is not None}
    return ExecutorConfig(kind=kind, ray_address=ray_address, num_workers=workers, **given)
