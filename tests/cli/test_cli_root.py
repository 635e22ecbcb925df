"""The `afs` root command: help, version, fast start-up, Kedro's view of `afs.cli`."""

from __future__ import annotations

import subprocess
import sys

import pytest

from afs import __version__

from .clitools import afs_env, afs_executable

HEAVY_MODULES = {"pandas", "pyarrow", "numpy", "torch", "kedro", "transformers"}

SPEC_FLAGS = {  # spec/API_REFERENCE.md, "Training Commands", plus the documented extras
    "rehearsal-build": ["--input", "--version", "--output", "--top-ratio", "--min-score",
                        "--max-per-domain", "--no-diversity", "--seed", "--rejects"],
    "rehearsal-mix": ["--buffer", "--new-data", "--rehearsal-ratio", "--output", "--shuffle",
                      "--no-shuffle", "--seed", "--rejects"],
    "rebalance": ["--input", "--output", "--weight", "--min-quality-score", "--group-by",
                  "--total", "--allow-oversample", "--seed", "--no-shuffle", "--rejects"],
    "prepare": ["--input", "--output", "--train-ratio", "--val-ratio", "--test-ratio",
                "--stratify-by", "--seed"],
    "convert": ["--input", "--output", "--format", "--thinking", "--system-prompt", "--on-error"],
}


def test_root_help_lists_training(afs):
    result = afs("--help")
    assert result.returncode == 0, result.stderr
    assert "training" in result.stdout


def test_version(afs):
    result = afs("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_training_help_lists_every_command(afs):
    result = afs("training", "--help")
    assert result.returncode == 0, result.stderr
    for command in SPEC_FLAGS:
        assert command in result.stdout


@pytest.mark.parametrize("command", sorted(SPEC_FLAGS))
def test_command_help_documents_every_flag(afs, command):
    result = afs("training", command, "--help")
    assert result.returncode == 0, result.stderr
    for flag in SPEC_FLAGS[command]:
        assert flag in result.stdout, f"{command} --help lacks {flag}"


def imported_modules(*args: str) -> set[str]:
    """Top-level modules the real `afs` script imports for ``args`` (via -X importtime)."""
    result = subprocess.run([sys.executable, "-X", "importtime", str(afs_executable()), *args],
                            capture_output=True, text=True, env=afs_env(afs_executable().parent),
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    names = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.mark.parametrize("args", [["--help"], ["training", "--help"],
                                  ["training", "rebalance", "--help"]])
def test_help_imports_no_heavy_library(args):
    heavy = HEAVY_MODULES & imported_modules(*args)
    assert not heavy, f"afs {' '.join(args)} imports {sorted(heavy)}"


def test_kedro_finds_cli_and_run():
    """Kedro imports `afs.cli` and needs `cli` (a click group) and `run` (its run command)."""
    import click

    import afs.cli

    assert isinstance(afs.cli.cli, click.Group)
    assert afs.cli.run.name == "run"
    with pytest.raises(AttributeError):
        afs.cli.no_such_thing  # noqa: B018


def test_cli_choices_match_the_library():
    """The CLI mirrors these so that --help needs no pandas; they must not drift."""
    from afs.cli import training as cli_training
    from afs.samples.jsonl import ON_ERROR_CHOICES
    from afs.samples.formats import FORMATS, THINKING_MODES
    from afs.curation.rebalance import GROUP_BY_CHOICES

    assert cli_training.FORMATS == FORMATS
    assert cli_training.THINKING_MODES == THINKING_MODES
    assert cli_training.ON_ERROR_CHOICES == ON_ERROR_CHOICES
    assert cli_training.GROUP_BY_CHOICES == GROUP_BY_CHOICES


def test_dedup_defaults_match_the_library():
    """`afs training dedup` repeats DedupConfig's and ExecutorConfig's defaults in its
    options (so --help imports neither); they must not drift."""
    from afs.cli.training import dedup
    from afs.executors import ExecutorConfig
    from afs.dedup.config import DedupConfig

    defaults = {option.name: option.default for option in dedup.params}
    library = DedupConfig()
    assert (defaults["threshold"], defaults["num_perm"], defaults["shingle_size"],
            defaults["seed"]) == (library.threshold, library.num_perm, library.shingle_size,
                                  library.seed)
    assert defaults["shard_rows"] == ExecutorConfig().shard_rows
