"""Helpers for CLI tests: find and run the installed `afs` script, make inputs, check outputs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from afs.samples import TrainingSample


def afs_executable() -> Path:
    """The `afs` script of this interpreter's environment (else the one on PATH)."""
    beside = Path(sys.executable).parent / "afs"
    found = beside if beside.exists() else shutil.which("afs")
    if not found:
        pytest.fail("the `afs` console script is not installed: run `pip install -e .`")
    return Path(found)


def afs_env(home: Path) -> dict[str, str]:
    return {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1",
            "HOME": str(home), "AFS_DEBUG": ""}


def make_samples(n: int, prefix: str = "q", domains: tuple[str, ...] = ("asm", "docs"),
                 score=lambda i, n: (i + 0.5) / n) -> list[TrainingSample]:
    """``n`` distinct samples; ``score(i, n)`` gives each one's quality_score."""
    return [
        TrainingSample(
            instruction=f"{prefix} routine {i}: what does Label_{i} do?",
            output=f"  LDA ${i:04X}\n  STA ${i + 1:04X}",
            domain=domains[i % len(domains)],
            source=prefix,
            quality_score=score(i, n),
            thinking="It copies a byte." if i % 3 == 0 else None,
        )
        for i in range(n)
    ]


def read_records(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def summary_line(result: subprocess.CompletedProcess) -> str:
    """The command's one-line summary (its whole stdout), after checking it succeeded."""
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    return lines[0]


def assert_user_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit code 1 and a single `error: …` line on stderr holding every fragment."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]
