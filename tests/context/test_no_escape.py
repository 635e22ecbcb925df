"""Nothing outside a root is read, through any entry point: memory-export and history-export
(the CLI), the data_generation generators, the embedding index, one context-warm round, the
scribe-draft and researcher agents, ensure-all and validate.

Each test plants the same tree: a `.context` whose folders hold a file symlink, a folder
symlink and a ``..`` symlink out of it, loops (``loop -> ..``, ``self -> .``, ``a -> b`` with
``b -> a``), next to an outside folder full of a marker string. The marker must never show up
in what the entry point writes or sends, and every refused path must be reported with its
reason.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from afs.agents.base import get_agent, run_agent
from afs.context.discovery import discover_contexts
from afs.context.layout import init_context, read_metadata
from afs.safe_fs import ContextEscapeError
from afs.context.validation import validate_context
from afs.embeddings.index import index_directory
from afs.generators.runner import run_sources
from afs.services import get_service
from tests.agents.fake_openai import recording_server
from tests.cli.clitools import afs_env, afs_executable

OUTSIDE = "PLANTED_OUTSIDE_QUOKKA"  # in files outside the .context
CONTEXT = "PLANTED_CONTEXT_WOMBAT"  # in the .context, outside memory/ and history/


def model_event(number: int, text: str, **extra) -> str:
    payload = {} if "payload_ref" in extra else {"payload": {"prompt": f"Question {text}?",
                                                             "response": f"Answer {text}."}}
    return json.dumps({"id": f"e{number}", "timestamp": "2025-01-01T00:00:00Z", "type": "model",
                       **payload, **extra}) + "\n"


def link(path: Path, target: str | Path) -> None:
    path.symlink_to(target, target_is_directory=Path(path.parent, target).is_dir())


def add_escapes(folder: Path, outside: Path) -> None:
    """The refused links every planted folder gets: out of it by a folder link and by a
    ``..`` path, and the three kinds of loop."""
    link(folder / "escdir", outside)
    link(folder / "loop", "..")
    link(folder / "self", ".")
    link(folder / "a", "b")
    link(folder / "b", "a")


@pytest.fixture
def planted(tmp_path) -> Path:
    """tmp/src/proj/.context (returned) and tmp/outside, as the module docstring says."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.jsonl").write_text(json.dumps(
        {"instruction": f"Where is the {OUTSIDE}?", "output": f"{OUTSIDE} is here."}) + "\n")
    (outside / "secret.md").write_text(f"## Q\nWho? {OUTSIDE}\n## A\n{OUTSIDE}\n")
    (outside / "events_20250102.jsonl").write_text(model_event(9, OUTSIDE))
    (outside / "payload.json").write_text(json.dumps({"prompt": OUTSIDE, "response": OUTSIDE}))
    (outside / "notes.md").write_text(f"# Outside notes\n\n{OUTSIDE} in a document.\n")
    (outside / "Secret.asm").write_text(f"; Leak_Routine\n; {OUTSIDE} lives here.\n"
                                        "Leak_Routine:\n  LDA #$00\n  RTS\n")

    context = init_context(tmp_path / "src" / "proj", "proj").path
    metadata = read_metadata(context)
    (context / "metadata.json").write_text(json.dumps({**metadata, "note": CONTEXT}))
    (context / "knowledge" / "inside.jsonl").write_text(json.dumps(
        {"instruction": f"Where is the {CONTEXT}?", "output": f"{CONTEXT} is here."}) + "\n")
    (context / "knowledge" / "dma.md").write_text("# DMA\n\nChannel 0 copies the OAM buffer.\n")
    link(context / "knowledge" / "leak.md", outside / "notes.md")
    add_escapes(context / "knowledge", outside)

    memory = context / "memory"
    (memory / "good.jsonl").write_text(json.dumps(
        {"instruction": "What does LDA do?", "output": "Loads the accumulator."}) + "\n")
    (memory / "notes").mkdir()
    (memory / "notes" / "dma.md").write_text("## Q\nHow many DMA channels?\n## A\nEight.\n")
    link(memory / "alias", "notes")  # a folder symlink inside the root: read once, as notes/
    link(memory / "leak.jsonl", outside / "secret.jsonl")
    link(memory / "up.md", "../../../../outside/secret.md")
    add_escapes(memory, outside)

    history = context / "history"
    (history / "payloads").mkdir()
    link(history / "payloads" / "linked.json", outside / "payload.json")
    (history / "events_20250101.jsonl").write_text(
        model_event(1, "LDA") + model_event(2, "x", payload_ref="payloads/linked.json")
        + model_event(3, "x", payload_ref="../../../../outside/payload.json"))
    link(history / "events_20250102.jsonl", outside / "events_20250102.jsonl")
    add_escapes(history, outside)
    return context


def outside_of(context: Path) -> Path:
    return context.parents[2] / "outside"


def refused_names(paths) -> set[str]:
    return {Path(path).name for path in paths}


ESCAPES = {"escdir", "loop", "self", "a", "b"}


def afs(cwd: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(afs_executable()), *map(str, args)], cwd=cwd, check=False,
                          env=afs_env(cwd), capture_output=True, text=True, timeout=120)


def export(kind: str, root: Path, tmp_path: Path) -> tuple[str, dict[str, str], str]:
    """Run `afs training KIND-export` on ``root``: the samples written, the rejects
    (``file[:line]`` -> reason) and the console output."""
    out = tmp_path / "out" / f"{kind}.jsonl"
    result = afs(tmp_path, "training", f"{kind}-export", f"--{kind}-root", root, "--output", out)
    assert result.returncode == 0, result.stderr
    rejects_file = out.with_name(f"{kind}.rejects.jsonl")
    rejects = {row["file"] + (f":{row['line']}" if row["line"] else ""): row["error"]
               for row in map(json.loads, rejects_file.open())}
    return out.read_text(), rejects, result.stdout + result.stderr + rejects_file.read_text()


def test_memory_export_reads_only_the_memory_folder(planted, tmp_path):
    written, reasons, shown = export("memory", planted / "memory", tmp_path)
    assert OUTSIDE not in written and CONTEXT not in written
    assert "Loads the accumulator." in written and "Eight." in written
    assert refused_names(reasons) >= ESCAPES | {"leak.jsonl", "up.md"}
    assert "outside the root" in reasons["leak.jsonl"] and "outside the root" in reasons["up.md"]
    assert "outside the root" in reasons["loop"]  # `..` is the context: outside memory/
    assert reasons["self"].startswith("symlink loop") and reasons["a"].startswith("symlink loop")
    assert OUTSIDE not in shown


def test_history_export_reads_only_the_history_folder(planted, tmp_path):
    written, rejects, shown = export("history", planted / "history", tmp_path)
    assert OUTSIDE not in written and OUTSIDE not in shown and "Answer LDA." in written
    assert "outside the root" in rejects["events_20250102.jsonl"]
    assert refused_names(rejects) >= ESCAPES
    assert "outside the history folder" in rejects["events_20250101.jsonl:2"]  # via a symlink
    assert "outside the history folder" in rejects["events_20250101.jsonl:3"]  # via '..'


def test_the_data_generation_generators_read_only_their_roots(planted, tmp_path):
    tree = tmp_path / "asm"
    tree.mkdir()
    (tree / "Main.asm").write_text("; Main_Routine\n; Start the game.\nMain_Routine:\n"
                                   "  LDA #$01\n  RTS\n")
    link(tree / "Linked.asm", outside_of(planted) / "Secret.asm")  # a cloned repo's link
    add_escapes(tree, outside_of(planted))
    frames, report = run_sources({
        "memory": {"generator": "memory", "params": {"memory_root": str(planted / "memory")}},
        "history": {"generator": "history",
                    "params": {"history_root": str(planted / "history")}},
        "oracle": {"generator": "oracle", "params": {"oracle_path": str(tree)}}})
    for name, frame in frames.items():
        text = frame.to_json()
        assert len(frame) and OUTSIDE not in text and CONTEXT not in text, name
    oracle_skips = {item["path"]: item["reason"] for item in report["sources"]["oracle"]["skipped"]}
    assert refused_names(oracle_skips) >= ESCAPES | {"Linked.asm"}
    for name in ("memory", "history"):
        assert refused_names(item["path"] for item in report["sources"][name]["skipped"]) \
            >= ESCAPES


def test_the_embedding_index_holds_only_files_inside_its_source(planted, tmp_path):
    store = tmp_path / "index.sqlite"
    report = index_directory([planted / "knowledge"], store, None)
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("index.sqlite*"))
    assert b"OAM buffer" in stored and OUTSIDE.encode() not in stored
    reasons = {item["path"]: item["reason"] for item in report.skipped}
    assert refused_names(reasons) >= ESCAPES | {"leak.md"}
    assert "outside the root" in reasons["leak.md"]


def test_context_warm_indexes_only_inside_each_context(planted, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere" / ".context"
    (elsewhere / "knowledge").mkdir(parents=True)
    (elsewhere / "knowledge" / "doc.md").write_text("# Elsewhere\n")
    link(tmp_path / "src" / "linked", elsewhere.parent)  # a project reached through a symlink
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AFS_SERVICES_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("AFS_CONTEXT_WARM_ROOT", str(tmp_path / "src"))
    monkeypatch.delenv("AFS_CONFIG_PATH", raising=False)
    monkeypatch.chdir(tmp_path)
    logged: list[str] = []

    get_service("context-warm").tick(logged.append)

    stored = b"".join(path.read_bytes() for path in (planted / "embeddings").iterdir())
    assert b"OAM buffer" in stored and OUTSIDE.encode() not in stored
    assert any("skipped knowledge/leak.md: symlink leads outside the root" in line
               for line in logged), logged
    assert any("skipped memory/loop: symlink leads outside the root" in line for line in logged)
    assert not (elsewhere / "embeddings").exists()  # written nowhere outside the root
    assert any(line.startswith(f"{tmp_path / 'src/linked/.context'}: skipped (reached through")
               for line in logged), logged


def test_scribe_draft_quotes_only_memory_inside_the_context(planted, tmp_path):
    with recording_server() as server:
        result = run_agent(get_agent("scribe-draft"), [
            "--", "--prompt", "Draft changelog", "--endpoint", server.url, "--retries", "0",
            "--repo", str(tmp_path), "--context", str(planted), "--memory-chars", "100000"])
        prompt = server.user_prompts()[0]
    assert "Loads the accumulator." in prompt
    assert OUTSIDE not in prompt and CONTEXT not in prompt
    # a, b, escdir, leak.jsonl, loop, self, up.md; the first three are quoted
    assert "; 7 memory paths not read (memory/a: symlink loop" in result.summary


def test_researcher_sends_only_files_inside_its_folder(planted, tmp_path):
    report = tmp_path / "report.md"
    with recording_server() as server:
        result = run_agent(get_agent("researcher"), [
            "--", str(planted / "knowledge"), str(report), "--endpoint", server.url,
            "--retries", "0", "--glob", "**/*"])
        prompts = "\n".join(server.user_prompts())
    assert "OAM buffer" in prompts and OUTSIDE not in prompts
    assert "outside the root" in result.data["unreadable"]["leak.md"]
    assert "- leak.md: symlink leads outside the root" in report.read_text()


def test_ensure_all_never_writes_outside_its_path(planted, tmp_path):
    linked = tmp_path / "elsewhere" / ".context"  # a bare context reached through src/linked
    linked.mkdir(parents=True)
    link(tmp_path / "src" / "linked", linked.parent)
    aliased = tmp_path / "other" / ".context"  # a project whose .context is a symlink
    aliased.mkdir(parents=True)
    (tmp_path / "src" / "aliased").mkdir()
    link(tmp_path / "src" / "aliased" / ".context", aliased)
    (planted / "tools").rmdir()

    result = afs(tmp_path, "context", "ensure-all", "--path", "src")

    assert result.returncode == 0, result.stderr
    assert list(linked.iterdir()) == [] and list(aliased.iterdir()) == []
    warnings = result.stderr.splitlines()
    assert any("src/linked/.context: skipped: reached through a symlink" in line
               for line in warnings), result.stderr
    assert any("src/aliased/.context: skipped" in line for line in warnings)
    assert (planted / "tools").is_dir()  # the context inside --path is repaired
    assert "2 skipped (outside --path)" in result.stdout


def test_validate_reports_what_the_readers_refuse(planted, tmp_path):
    problems = {str(problem.path.relative_to(planted)): problem for problem in
                validate_context(planted)}
    for folder in ("memory", "history", "knowledge"):
        assert problems[f"{folder}/loop"].code == "symlink_loop"  # `..` is the context root
        assert problems[f"{folder}/self"].code == "symlink_loop"
        assert problems[f"{folder}/escdir"].code == "escaping_symlink"
        assert problems[f"{folder}/a"].code == "broken_symlink"
        assert "loops" in problems[f"{folder}/a"].message
    assert problems["memory/up.md"].code == "escaping_symlink"
    assert "context reads refuse it" in problems["memory/leak.jsonl"].message
    assert "memory/alias" not in problems  # a second way into a folder inside: fine
    # whatever the memory export refused, validate names too
    _, refused, _ = export("memory", planted / "memory", tmp_path)
    assert {f"memory/{path}" for path in refused} <= set(problems)


def test_a_metadata_file_linked_from_outside_is_never_read(planted, tmp_path):
    outside = outside_of(planted) / "meta.json"
    outside.write_text(json.dumps({"schema_version": 1, "name": OUTSIDE, "note": OUTSIDE,
                                   "created": "2025-01-01T00:00:00Z",
                                   "updated": "2025-01-01T00:00:00Z"}))
    os.replace(planted / "metadata.json", tmp_path / "old.json")
    link(planted / "metadata.json", outside)

    [found] = discover_contexts(tmp_path / "src")
    assert found.name is None  # the name is not taken from a file outside the context
    with pytest.raises(ContextEscapeError, match="outside the context root"):
        read_metadata(planted)
    codes = {problem.code for problem in validate_context(planted)
             if problem.path.name == "metadata.json"}
    assert codes == {"escaping_symlink"}
    result = afs(tmp_path, "context", "discover", "--path", "src", "--json")
    assert OUTSIDE not in result.stdout
