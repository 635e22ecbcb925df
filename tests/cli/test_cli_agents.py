"""`afs agents list|run` through the installed `afs` script (tests/cli/conftest.py ``afs``),
with the spec's examples as written."""

from __future__ import annotations

import json

from afs.deployment.server import free_port
from tests.agents.conftest import isolated_home  # noqa: F401  (autouse, as beside the agents)
from tests.agents.fake_openai import recording_server

from .clitools import assert_user_error, summary_line


def test_list_shows_every_agent_and_json_too(afs):
    result = afs("agents", "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "NEEDS", "SOURCE", "DESCRIPTION"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["context-audit", "local", "built-in"], ["researcher", "model", "built-in"],
        ["scribe-draft", "model", "built-in"]]
    listed = json.loads(afs("agents", "list", "--json").stdout)
    assert [entry["name"] for entry in listed] == ["context-audit", "researcher", "scribe-draft"]


def test_an_unknown_agent_is_a_one_line_error_with_a_suggestion(afs):
    assert_user_error(afs("agents", "run", "reseacher", "--", "a", "b"),
                      "unknown agent 'reseacher'", "did you mean 'researcher'?")


def test_the_agent_help_comes_after_the_separator(afs):
    result = afs("agents", "run", "researcher", "--", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: afs agents run researcher --")
    assert "--endpoint URL" in result.stdout and "--max-chars" in result.stdout


def test_context_audit_as_in_the_spec(afs, tmp_path):
    (tmp_path / "src" / "proj" / ".context").mkdir(parents=True)
    line = summary_line(afs("agents", "run", "context-audit", "--", "--path", "~/src",
                            "--output", "audit.json"))
    assert line.startswith("context-audit: 1 contexts: 0 valid, 1 with problems")
    assert json.loads((tmp_path / "audit.json").read_text())["counts"]["contexts"] == 1
    strict = afs("agents", "run", "context-audit", "--", "--path", "src", "--fail-on-problems")
    assert strict.returncode == 1 and "error" not in strict.stderr
    assert json.loads(strict.stdout)["counts"]["with_problems"] == 1


def test_researcher_as_in_the_spec_uses_the_configured_port(afs, tmp_path):
    (tmp_path / "input_dir").mkdir()
    (tmp_path / "input_dir" / "main.asm").write_text("LDA #$01\n")
    with recording_server() as server:
        result = afs("agents", "run", "researcher", "--", "input_dir", "output_file",
                     AFS_ORCHESTRATION_PORT=str(server.server_address[1]))
    assert summary_line(result).startswith("researcher: 1 files: 1 asked")
    assert "## main.asm\n\nanswer 1" in (tmp_path / "output_file").read_text()


def test_a_dead_endpoint_is_a_one_line_error(afs):
    port = free_port()
    result = afs("agents", "run", "scribe-draft", "--", "--prompt", "Draft changelog",
                 "--retries", "0", AFS_ORCHESTRATION_PORT=str(port))
    assert_user_error(result, f"no OpenAI-compatible server at http://127.0.0.1:{port}/v1")
