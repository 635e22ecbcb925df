"""``validate(text, backend="asar")``: assemble with a real asar binary and read its verdict.

The binary is ``asar_path``, else $AFS_ASAR, else `asar` on PATH. The text is assembled in a
scratch directory onto a new ROM, so nothing of the user's is touched. asar's messages
(`file:line: error: (Eid): message [source]`) become ValidationIssues with the id as code;
labels, defines and macros asar cannot find are `unresolved` warnings, as with the built-in
validator (they are defined in another file).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from afs.asm.diagnostics import (ASAR_FAILED, UNRESOLVED, ValidationIssue, ValidationResult,
                                 line_count)
from afs.errors import AfsError
from afs.processes import die_with_parent

_MESSAGE = re.compile(r"^(?P<file>.*?):(?P<line>\d+)(?::\d+)?: (?P<kind>error|warning): "
                      r"\((?P<id>[EW][a-z0-9_]+)\): (?P<message>.*?)(?: \[.*\])?$")
_UNRESOLVED = {"label_not_found", "define_not_found", "macro_not_found", "file_not_found"}
# asar's own notices that say nothing about the text
_IGNORED = {"missing_org"}


class AsarNotFound(AfsError):
    """No asar binary to run."""


def find_asar(asar_path: str | None = None) -> str:
    """Path of the asar binary to use; AsarNotFound says how to provide one."""
    candidate = asar_path or os.environ.get("AFS_ASAR") or shutil.which("asar")
    if not candidate or not Path(candidate).exists():
        raise AsarNotFound("asar was not found: put it on PATH, set AFS_ASAR, or pass asar_path "
                           "(or use the built-in validator, backend='builtin')")
    return candidate


def parse_asar_output(output: str) -> tuple[list[ValidationIssue], list[ValidationIssue]]:
    """ValidationIssues (errors, warnings) from asar's messages on the patch file."""
    errors, warnings = [], []
    for raw in output.splitlines():
        match = _MESSAGE.match(raw.strip())
        if match is None or Path(match["file"]).name != "patch.asm":
            continue
        code = match["id"][1:]
        if code in _IGNORED:
            continue
        issue = ValidationIssue(int(match["line"]), 1, code, match["message"])
        if match["kind"] == "warning" or code in _UNRESOLVED:
            warnings.append(issue._replace(code=UNRESOLVED) if code in _UNRESOLVED else issue)
        else:
            errors.append(issue)
    return sorted(set(errors)), sorted(set(warnings))


def validate_with_asar(text: str, asar_path: str | None = None,
                       include_dirs: list[str] | None = None,
                       timeout: float = 60.0) -> ValidationResult:
    binary = find_asar(asar_path)
    with tempfile.TemporaryDirectory(prefix="afs-asar-") as scratch:
        patch = Path(scratch) / "patch.asm"
        patch.write_text(text, encoding="utf-8")
        command = [binary, "--no-title-check", *[f"-I{d}" for d in include_dirs or []],
                   str(patch), str(Path(scratch) / "out.sfc")]
        try:
            completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                       cwd=scratch, errors="replace",
                                       preexec_fn=die_with_parent())
        except subprocess.TimeoutExpired:  # a verdict for this text, not a crash of the run
            return ValidationResult(False, [ValidationIssue(
                1, 1, ASAR_FAILED, f"asar did not finish within {timeout:g} s (a loop that "
                "never ends, or a patch too large for the timeout)")], [], line_count(text))
    errors, warnings = parse_asar_output(completed.stdout + "\n" + completed.stderr)
    if completed.returncode != 0 and not errors and not warnings:
        errors = [ValidationIssue(1, 1, ASAR_FAILED,
                                  (completed.stderr or completed.stdout).strip()[:200])]
    return ValidationResult(not errors, errors, warnings, line_count(text))
