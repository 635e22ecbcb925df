"""The `researcher` agent: ask a model one question about each file of a folder and collect
the answers in a Markdown report that a rerun resumes.

Progress lives beside the report in ``<report>.state.json``: each answered file's path,
content hash, the question asked and the answer. After every answer the state and then the
report are rewritten atomically, so an interrupted run (a dead server, Ctrl-C, ``--limit``)
loses nothing; the next run asks only about files that are new, changed, or were asked a
different question.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afs.agents.base import AgentResult, write_text_atomic
from afs.agents.model import FittedAnswer, ModelAgent, ask_within_context
from afs.errors import AfsError, ConfigError, DataError
from afs.jsonl_input import decode_utf8
from afs.safe_fs import outside_reason, real_path

DEFAULT_QUESTION = ("What does this file do? Summarize its purpose, key routines/sections, "
                    "and anything surprising.")
DEFAULT_GLOB = "**/*"
DEFAULT_MAX_CHARS = 8000
STATE_SUFFIX = ".state.json"
STATE_VERSION = 1
SYSTEM_PROMPT = ("You read one file of a codebase or of its documentation and answer a question "
                 "about it. Answer in Markdown, concisely, and only from what the file shows.")


class ResearchStopped(AfsError):
    """A request failed after the client's retries; the progress so far is saved."""


@dataclass
class SourceFile:
    """One file of the input folder, read."""

    rel: str
    sha256: str
    text: str
    chars: int  # before truncation

    @property
    def truncated(self) -> bool:
        return self.chars > len(self.text)

    def cut(self, limit: int | None) -> SourceFile:
        """This file with at most ``limit`` characters of its text (None: as it is)."""
        if limit is None or limit >= len(self.text):
            return self
        return SourceFile(self.rel, self.sha256, self.text[:limit], self.chars)


@dataclass
class ResearchSummary:
    """What one run did."""

    report: Path
    state: Path
    total: int
    asked: list[str] = field(default_factory=list)
    reused: int = 0
    remaining: int = 0
    unreadable: dict[str, str] = field(default_factory=dict)


def state_path_for(report: Path) -> Path:
    return report.with_name(report.name + STATE_SUFFIX)


def collect_files(input_dir: Path, pattern: str, exclude: set[Path],
                  refused: dict[str, str] | None = None) -> list[Path]:
    """Files under ``input_dir`` matching ``pattern``, sorted; paths with a hidden component
    (``.git/…``, ``.cache``) and the ``exclude``d files are left out. A file whose real
    location is outside ``input_dir`` (a symlink out, a ``..`` pattern) is not read: it goes
    to ``refused`` (relative path -> reason), as its text would be sent to the model."""
    if not input_dir.is_dir():
        raise ConfigError(f"{input_dir}: no such directory")
    try:
        matches = list(input_dir.glob(pattern))
    except (ValueError, NotImplementedError) as exc:
        raise ConfigError(f"--glob {pattern!r}: {exc} (give a pattern relative to the "
                          "input folder, e.g. '**/*.asm')") from None
    files, real_root = [], real_path(input_dir)
    for path in matches:
        rel = path.relative_to(input_dir)
        if (path.is_file() and not any(part.startswith(".") for part in rel.parts)
                and path.resolve() not in exclude):
            reason = outside_reason(path, real_root)
            if reason is None:
                files.append(path)
            elif refused is not None:
                refused[rel.as_posix()] = reason
    return sorted(files, key=lambda path: path.relative_to(input_dir).as_posix())


def read_source(path: Path, rel: str, max_chars: int) -> SourceFile | str:
    """The file as text cut to ``max_chars``, or the reason it is not text."""
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return "binary file"
    try:
        text = decode_utf8(data)
    except DataError as error:
        return f"line {error.line}: {error.problem}"
    return SourceFile(rel, hashlib.sha256(data).hexdigest(), text[:max_chars], len(text))


def load_state(path: Path) -> dict[str, dict[str, Any]]:
    """The answered files of an earlier run (rel -> entry); {} when there was none."""
    if not path.exists():
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        files = state["files"]
        if state.get("version") != STATE_VERSION or not isinstance(files, dict):
            raise ValueError(f"expected version {STATE_VERSION} with a 'files' object")
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"not a researcher progress file ({exc}); delete it to start over",
                        path=path) from None
    return files


def build_prompt(source: SourceFile, question: str) -> str:
    """The user message: the question, the file's name and its (maybe truncated) text."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", source.text)), default=0))
    cut = (f" (only its first {len(source.text)} of {source.chars} characters are shown)"
           if source.truncated else "")
    return f"{question}\n\nFile: {source.rel}{cut}\n\n{fence}\n{source.text}\n{fence}"


def render_report(input_dir: Path, question: str, order: list[str],
                  done: dict[str, dict[str, Any]], unreadable: dict[str, str]) -> str:
    """The Markdown report: one section per answered file in ``order``, then the skipped."""
    answered = [rel for rel in order if rel in done]
    remaining = len(order) - len(answered)
    status = f"{len(answered)} of {len(order)} files answered"
    if remaining:
        status += f"; {remaining} not yet (rerun the same command to continue)"
    lines = [f"# Research report: {input_dir}", "", f"**Question:** {question}", "",
             f"{status}.", ""]
    for rel in answered:
        entry = done[rel]
        lines += [f"## {rel}", ""]
        if entry.get("truncated"):
            lines += [(f"_Only the first {entry['sent_chars']} of {entry['chars']} characters "
                       "were sent to the model._"), ""]
        lines += [entry["answer"].strip() or "_(the model gave an empty answer)_", ""]
    if unreadable:
        lines += ["## Skipped files", ""]
        lines += [f"- {rel}: {reason}" for rel, reason in sorted(unreadable.items())]
        lines.append("")
    return "\n".join(lines)


Ask = Callable[[str, Callable[[int | None], str]], FittedAnswer]


def research_directory(input_dir: str | Path, report: str | Path,
                       ask: Ask, *, question: str = DEFAULT_QUESTION,
                       pattern: str = DEFAULT_GLOB, max_chars: int = DEFAULT_MAX_CHARS,
                       limit: int | None = None, model: str = "") -> ResearchSummary:
    """Ask ``ask(system, render)`` about each file of ``input_dir`` (sorted) that the state
    beside ``report`` does not hold yet with the same content and question; at most ``limit``
    new questions. ``render(chars)`` is the prompt with at most ``chars`` of the file (the
    asker cuts the file to fit the model's context). Returns what was asked, reused and left."""
    if max_chars < 1:
        raise ConfigError(f"--max-chars must be at least 1, got {max_chars}")
    if limit is not None and limit < 0:
        raise ConfigError(f"--limit must be at least 0, got {limit}")
    input_dir, report = Path(input_dir).expanduser(), Path(report).expanduser()
    state_path = state_path_for(report)
    refused: dict[str, str] = {}
    paths = collect_files(input_dir, pattern, {report.resolve(), state_path.resolve()}, refused)
    earlier = load_state(state_path)
    summary = ResearchSummary(report, state_path, total=0, unreadable=refused)
    sources: list[SourceFile] = []
    for path in paths:
        rel = path.relative_to(input_dir).as_posix()
        source = read_source(path, rel, max_chars)
        if isinstance(source, str):
            summary.unreadable[rel] = source
        else:
            sources.append(source)
    order = [source.rel for source in sources]
    summary.total = len(order)
    done = {source.rel: earlier[source.rel] for source in sources
            if _still_valid(earlier.get(source.rel), source, question)}
    summary.reused = len(done)
    todo = [source for source in sources if source.rel not in done]
    summary.remaining = len(todo)

    def save() -> None:
        write_text_atomic(state_path, json.dumps(
            {"version": STATE_VERSION, "input_dir": str(input_dir), "files": done}, indent=1))
        write_text_atomic(report, render_report(input_dir, question, order, done,
                                                summary.unreadable))

    save()
    for source in todo[:limit] if limit is not None else todo:
        try:
            fitted = ask(SYSTEM_PROMPT,
                         lambda chars, source=source: build_prompt(source.cut(chars), question))
        except AfsError as exc:
            raise ResearchStopped(
                f"{input_dir / source.rel}: {exc} -- {len(done)} of {len(order)} files done, "
                f"progress saved in {state_path}; rerun the same command to resume") from exc
        sent = len(source.cut(fitted.material_chars).text)
        done[source.rel] = {"sha256": source.sha256, "question": question, "model": model,
                            "chars": source.chars, "read_chars": len(source.text),
                            "sent_chars": sent, "truncated": sent < source.chars,
                            "answer": fitted.text}
        summary.asked.append(source.rel)
        summary.remaining -= 1
        save()
    return summary


def _still_valid(entry: dict[str, Any] | None, source: SourceFile, question: str) -> bool:
    return (isinstance(entry, dict) and entry.get("sha256") == source.sha256
            and entry.get("question") == question
            and entry.get("read_chars", entry.get("sent_chars")) == len(source.text)
            and isinstance(entry.get("answer"), str))


class ResearcherAgent(ModelAgent):
    name = "researcher"
    description = ("Ask a model about each file of a folder and write the answers to a Markdown "
                   "report; a rerun resumes where the last one stopped.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("input_dir", type=Path, help="folder whose files are read")
        parser.add_argument("output_file", type=Path,
                            help=f"Markdown report; progress is kept in OUTPUT_FILE{STATE_SUFFIX}")
        parser.add_argument("--glob", default=DEFAULT_GLOB,
                            help="which files, relative to INPUT_DIR (hidden paths are skipped)")
        parser.add_argument("--question", default=DEFAULT_QUESTION, help="what to ask of each file")
        parser.add_argument("--max-chars", type=int, default=DEFAULT_MAX_CHARS,
                            help="characters of each file sent to the model (the rest is cut, "
                                 "and the report says so)")
        parser.add_argument("--limit", type=int, default=None,
                            help="ask about at most this many files in this run [default: all]")

    def run(self, args: argparse.Namespace) -> AgentResult:
        client = self.client(args)
        result = research_directory(args.input_dir, args.output_file,
                                    lambda system, render: ask_within_context(
                                        client, args, system, render),
                                    question=args.question, pattern=args.glob,
                                    max_chars=args.max_chars, limit=args.limit,
                                    model=args.model or "")
        parts = [f"{len(result.asked)} asked", f"{result.reused} from the last run"]
        if result.remaining:
            parts.append(f"{result.remaining} left (rerun to continue)")
        if result.unreadable:
            parts.append(f"{len(result.unreadable)} skipped (reasons in the report)")
        return AgentResult(
            summary=f"{result.total} files: {', '.join(parts)} -> {result.report}",
            outputs=[result.report, result.state],
            data={"total": result.total, "asked": result.asked, "reused": result.reused,
                  "remaining": result.remaining, "unreadable": result.unreadable})
