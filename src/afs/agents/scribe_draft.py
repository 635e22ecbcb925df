"""The `scribe-draft` agent: draft a text (a changelog, release notes, a summary) from a prompt,
the repository's recent commits and snippets of a `.context` folder's memory, via a model."""

from __future__ import annotations

import argparse
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from afs.agents.base import AgentResult, write_text_atomic
from afs.agents.model import ModelAgent, ask_within_context
from afs.errors import AfsError, ConfigError
from afs.safe_fs import ContextFS, Skipped

DEFAULT_COMMITS = 30
DEFAULT_MEMORY_CHARS = 4000
MAX_CHARS_PER_MEMORY_FILE = 1500
MEMORY_SUFFIXES = (".md", ".jsonl", ".json")
CUT_NOTE = "\n[…cut to fit the model's context]"
SYSTEM_PROMPT = ("You are the technical writer of a software project. Draft the text the user "
                 "asks for from the project's recent commits and notes given with the request. "
                 "Write Markdown. Do not invent changes that the commits and notes do not show.")


@dataclass
class DraftMaterial:
    """What the draft is made from."""

    commits: list[str] = field(default_factory=list)
    git_note: str = ""  # why there are no commits, when there are none
    memory: list[tuple[str, str]] = field(default_factory=list)  # (path, snippet)
    memory_left_out: int = 0
    memory_skipped: list[Skipped] = field(default_factory=list)  # refused paths, with reasons


def git_log(repo: Path, count: int) -> tuple[list[str], str]:
    """The last ``count`` commits of ``repo`` as ``git log --oneline`` lines, and a note saying
    why there are none (not a repository, no commits yet, no git)."""
    try:
        done = subprocess.run(["git", "-C", str(repo), "log", "--oneline", "--no-decorate",
                               "-n", str(count)], capture_output=True, text=True, timeout=60,
                              check=False)
    except FileNotFoundError:
        return [], "git is not installed"
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["git log failed"])[-1]
        return [], f"no git history ({reason.removeprefix('fatal: ')})"
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return lines, "" if lines else "no commits yet"


def find_context(repo: Path, context: Path | None) -> Path | None:
    """The `.context` folder to read: ``context`` (a `.context` folder or a folder holding
    one), else ``repo/.context`` when it exists, else None."""
    if context is None:
        default = repo / ".context"
        return default if default.is_dir() else None
    context = context.expanduser()
    if not context.is_dir():
        raise ConfigError(f"{context}: no such context directory")
    if not (context / "memory").is_dir() and (context / ".context").is_dir():
        context = context / ".context"
    if not (context / "memory").is_dir():
        raise ConfigError(f"{context}: no memory/ folder (see docs/context_format.md)")
    return context


def memory_snippets(context: Path, budget: int, skipped: list[Skipped] | None = None
                    ) -> tuple[list[tuple[str, str]], int]:
    """(path, text) of the memory files (sorted), each cut to a share of ``budget``
    characters in all; and how many files did not fit. Only files inside the context are
    read (symlinks out of it, loops: in ``skipped`` with the reason)."""
    files = list(ContextFS(context).walk("memory", MEMORY_SUFFIXES, skipped))
    snippets: list[tuple[str, str]] = []
    for path in files:
        room = min(budget, MAX_CHARS_PER_MEMORY_FILE)
        if room <= 0:
            break
        text = path.read_text(encoding="utf-8", errors="replace").strip()
        budget -= min(len(text), room)
        if len(text) > room:
            text = text[:room].rstrip() + "\n[…truncated]"
        snippets.append((path.relative_to(context).as_posix(), text))
    return snippets, len(files) - len(snippets)


def gather_material(repo: Path, context: Path | None, commits: int,
                    memory_chars: int) -> DraftMaterial:
    """The commits of ``repo`` and the memory snippets of its (or the given) context."""
    if not repo.is_dir():
        raise ConfigError(f"{repo}: no such repository directory")
    material = DraftMaterial()
    material.commits, material.git_note = git_log(repo, commits)
    found = find_context(repo, context)
    if found is not None and memory_chars > 0:
        material.memory, material.memory_left_out = memory_snippets(
            found, memory_chars, material.memory_skipped)
    return material


def material_text(repo: Path, material: DraftMaterial) -> str:
    """The commits and the memory snippets as the prompt quotes them."""
    parts = [f"## Recent commits of {repo.name or repo}"]
    parts += material.commits or [f"({material.git_note})"]
    if material.memory:
        parts += ["", "## Project memory (excerpts)"]
        for rel, text in material.memory:
            parts += ["", f"### {rel}", text]
    return "\n".join(parts)


def build_user_prompt(prompt: str, repo: Path, material: DraftMaterial,
                      limit: int | None = None) -> str:
    """The request followed by the material, cut to ``limit`` characters (None: all) so that
    the prompt fits the model's context."""
    body = material_text(repo, material)
    if limit is not None and len(body) > limit:
        body = body[:limit].rstrip() + CUT_NOTE
    return f"{prompt.strip()}\n\n{body}"


class ScribeDraftAgent(ModelAgent):
    name = "scribe-draft"
    description = ("Draft text such as a changelog from a prompt, the git log and the context "
                   "memory, via a model.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--prompt", required=True, help='what to draft, e.g. "Draft changelog"')
        parser.add_argument("--repo", type=Path, default=Path("."),
                            help="repository whose `git log --oneline` is included")
        parser.add_argument("--commits", type=int, default=DEFAULT_COMMITS,
                            help="how many recent commits to include")
        parser.add_argument("--context", type=Path, default=None,
                            help="a .context folder whose memory/ is quoted [default: "
                                 "REPO/.context when it exists]")
        parser.add_argument("--memory-chars", type=int, default=DEFAULT_MEMORY_CHARS,
                            help="characters of memory quoted in all (0: none)")
        parser.add_argument("--output", type=Path, default=None,
                            help="write the draft here [default: standard output]")

    def run(self, args: argparse.Namespace) -> AgentResult:
        if args.commits < 0:
            raise ConfigError(f"--commits must be at least 0, got {args.commits}")
        if not args.prompt.strip():
            raise ConfigError("--prompt is empty: say what to draft")
        repo = args.repo.expanduser().resolve()
        material = gather_material(repo, args.context, args.commits, args.memory_chars)
        fitted = ask_within_context(
            self.client(args), args, SYSTEM_PROMPT,
            lambda limit: build_user_prompt(args.prompt, repo, material, limit))
        draft = fitted.text.strip()
        if not draft:
            raise AfsError("the model gave an empty draft; try a larger --max-tokens or "
                           "another --model")
        sources = (f"{len(material.commits)} commits" if material.commits else material.git_note)
        sources += f", {len(material.memory)} memory files"
        if material.memory_left_out:
            sources += f" ({material.memory_left_out} left out for --memory-chars)"
        if material.memory_skipped:
            shown = "; ".join(map(str, material.memory_skipped[:3]))
            sources += f"; {len(material.memory_skipped)} memory paths not read ({shown})"
        if fitted.material_chars is not None and fitted.material_chars < len(
                material_text(repo, material)):
            sources += f", cut to {fitted.material_chars} characters to fit the model's context"
        data = {"commits": len(material.commits), "memory_files": len(material.memory),
                "chars": len(draft)}
        if args.output is None:
            return AgentResult(summary=f"draft of {len(draft)} characters from {sources}",
                               stdout=draft, data=data)
        output = write_text_atomic(args.output, draft + "\n")
        return AgentResult(summary=f"draft of {len(draft)} characters from {sources} -> {output}",
                           outputs=[output], data=data)
