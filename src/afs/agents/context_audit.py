"""The `context-audit` agent: find every `.context` folder under a root, validate each and
write a JSON report of counts, problems, sizes and stale files.

Problems are findings, not errors: the report is written and the exit status is 0 unless
``--fail-on-problems`` asks for 1 when any context has a problem (for CI and cron jobs).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from afs.agents.base import Agent, AgentResult, write_text_atomic
from afs.config import load_config
from afs.context.discovery import discover_contexts, measure_tree
from afs.context.validation import validate_context
from afs.errors import ConfigError

DEFAULT_STALE_DAYS = 30.0
SECONDS_PER_DAY = 86400.0
REPORT_VERSION = 1


def stale_files(context: Path, older_than_s: float, now: float) -> list[dict[str, Any]]:
    """Regular files under ``context`` last modified more than ``older_than_s`` seconds before
    ``now``, sorted by path (relative to the context); symlinks are not followed."""
    found = []
    for folder, _, names in os.walk(context):
        for name in names:
            path = Path(folder, name)
            try:
                info = path.lstat()
            except OSError:
                continue  # validation reports what cannot be read
            age = now - info.st_mtime
            if path.is_file() and not path.is_symlink() and age > older_than_s:
                found.append({"path": path.relative_to(context).as_posix(),
                              "age_days": round(age / SECONDS_PER_DAY, 1),
                              "bytes": info.st_size})
    return sorted(found, key=lambda entry: entry["path"])


def subdir_sizes(context: Path) -> dict[str, dict[str, int]]:
    """``{"memory": {"files": n, "bytes": b}, …}`` for each folder directly in ``context``."""
    sizes = {}
    try:
        children = sorted(os.scandir(context), key=lambda entry: entry.name)
    except OSError:
        return {}
    for entry in children:
        if entry.is_dir(follow_symlinks=False):
            files, size = measure_tree(Path(entry.path))
            sizes[entry.name] = {"files": files, "bytes": size}
    return sizes


def audit_context(found: Any, older_than_s: float, now: float) -> dict[str, Any]:
    """One context's entry of the report: where, how big, what is wrong, what is stale."""
    problems = validate_context(found.path)
    stale = stale_files(found.path, older_than_s, now)
    return {**found.to_dict(), "valid": not problems,
            "subdirs": subdir_sizes(found.path),
            "problems": [problem.to_dict() for problem in problems],
            "stale_files": stale}


def audit_contexts(root: str | Path, *, stale_days: float = DEFAULT_STALE_DAYS,
                   ignore: list[str] | None = None, max_depth: int | None = None,
                   now: float | None = None) -> dict[str, Any]:
    """The audit report of every `.context` under ``root`` (JSON-ready). ``ignore`` and
    ``max_depth`` default to the config's ``general.discovery_ignore`` and
    ``general.discovery_max_depth``; ``now`` (epoch seconds) is for tests."""
    if stale_days < 0:
        raise ConfigError(f"--stale-days must be 0 or more, got {stale_days:g}")
    general = load_config().general
    root = Path(root).expanduser()
    now = time.time() if now is None else now
    search_errors: list[dict[str, str]] = []
    found = discover_contexts(
        root, ignore=general.discovery_ignore if ignore is None else ignore,
        max_depth=general.discovery_max_depth if max_depth is None else max_depth,
        on_error=lambda path, exc: search_errors.append(
            {"path": str(path), "error": exc.strerror or str(exc)}))
    contexts = [audit_context(context, stale_days * SECONDS_PER_DAY, now) for context in found]
    codes = Counter(problem["code"] for context in contexts for problem in context["problems"])
    counts = {"contexts": len(contexts),
              "valid": sum(context["valid"] for context in contexts),
              "with_problems": sum(not context["valid"] for context in contexts),
              "problems": sum(codes.values()),
              "problems_by_code": dict(sorted(codes.items())),
              "files": sum(context["files"] for context in contexts),
              "bytes": sum(context["bytes"] for context in contexts),
              "stale_files": sum(len(context["stale_files"]) for context in contexts)}
    return {"version": REPORT_VERSION, "root": str(root),
            "generated": datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"),
            "stale_days": stale_days, "counts": counts, "contexts": contexts,
            "search_errors": search_errors}


def audit_summary(report: dict[str, Any]) -> str:
    """``3 contexts: 2 valid, 1 with problems (4: missing_dir x3, bad_metadata x1), …``."""
    counts = report["counts"]
    text = f"{counts['contexts']} contexts: {counts['valid']} valid"
    if counts["with_problems"]:
        kinds = ", ".join(f"{code} x{n}" for code, n in
                          Counter(counts["problems_by_code"]).most_common())
        text += f", {counts['with_problems']} with problems ({counts['problems']}: {kinds})"
    text += (f"; {counts['files']} files, {counts['bytes']} bytes, {counts['stale_files']} "
             f"stale (> {report['stale_days']:g} days)")
    if report["search_errors"]:
        text += f"; {len(report['search_errors'])} folders could not be searched"
    return text


class ContextAuditAgent(Agent):
    name = "context-audit"
    description = ("Validate every .context folder under a root and write a JSON report: "
                   "counts, problems, sizes, stale files.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--path", type=Path, default=Path("."),
                            help="root searched for .context folders")
        parser.add_argument("--output", type=Path, default=None,
                            help="JSON report [default: standard output]")
        parser.add_argument("--stale-days", type=float, default=DEFAULT_STALE_DAYS,
                            help="files not modified for this many days are listed as stale")
        parser.add_argument("--max-depth", type=int, default=None,
                            help="folder levels searched below the root "
                                 "[default: general.discovery_max_depth of the config]")
        parser.add_argument("--ignore", action="append", default=None, metavar="PATTERN",
                            help="folder names to skip (fnmatch); repeat for several "
                                 "[default: general.discovery_ignore of the config]")
        parser.add_argument("--fail-on-problems", action="store_true",
                            help="exit with status 1 when any context has a problem")

    def run(self, args: argparse.Namespace) -> AgentResult:
        report = audit_contexts(args.path, stale_days=args.stale_days, ignore=args.ignore,
                                max_depth=args.max_depth)
        exit_code = 1 if args.fail_on_problems and report["counts"]["problems"] else 0
        text = json.dumps(report, indent=2)
        summary = audit_summary(report)
        if args.output is None:
            return AgentResult(summary=summary, stdout=text, exit_code=exit_code,
                               data=report["counts"])
        output = write_text_atomic(args.output, text + "\n")
        return AgentResult(summary=f"{summary} -> {output}", outputs=[output],
                           exit_code=exit_code, data=report["counts"])
