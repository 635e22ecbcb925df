"""The scribe-draft agent: the prompt it builds from a git log and a context's memory (on a
recording loopback server), a folder that is not a git repository, and llama.cpp's server."""

from __future__ import annotations

import re
import subprocess

import pytest

from afs.agents.base import get_agent, run_agent
from afs.errors import ConfigError

COMMITS = ["Add sprite DMA routine", "Fix HDMA table for the title screen"]


@pytest.fixture
def repo(tmp_path):
    """A git repository with two commits and a .context whose memory has two notes."""
    folder = tmp_path / "game"
    folder.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=Tester", "-c", "user.email=t@example.com",
                        "-C", str(folder), *args], check=True, capture_output=True)

    git("init", "-q")
    for number, message in enumerate(COMMITS):
        (folder / f"file{number}.asm").write_text(f"NOP ; {number}\n")
        git("add", ".")
        git("commit", "-q", "-m", message)
    memory = folder / ".context" / "memory"
    memory.mkdir(parents=True)
    (memory / "dma.md").write_text("## How many DMA channels?\nEight, numbered 0-7.\n")
    (memory / "facts.jsonl").write_text('{"prompt": "Where is Link X?", "response": "$7E0022"}\n'
                                        * 200)
    return folder


def draft(server_url, *args):
    return run_agent(get_agent("scribe-draft"),
                     ["--", "--prompt", "Draft changelog", "--endpoint", server_url,
                      "--retries", "0", *map(str, args)])


def test_the_prompt_holds_the_request_the_commits_and_the_memory(fake_server, repo, tmp_path):
    result = draft(fake_server.url, "--repo", repo, "--output", tmp_path / "CHANGES.md")
    messages = fake_server.requests[0]["messages"]
    assert messages[0]["role"] == "system" and "changelog" not in messages[0]["content"]
    prompt = messages[1]["content"]
    assert prompt.startswith("Draft changelog")
    assert all(subject in prompt for subject in COMMITS)
    assert "### memory/dma.md\n## How many DMA channels?" in prompt
    assert "### memory/facts.jsonl" in prompt and "[…truncated]" in prompt
    assert len(prompt) < 4000 + 1000  # --memory-chars bounds what is quoted
    assert (tmp_path / "CHANGES.md").read_text() == "answer 1\n"
    assert result.summary.startswith("draft of 8 characters from 2 commits, 2 memory files -> ")


def test_a_folder_that_is_no_git_repository_still_gets_a_draft_on_stdout(fake_server, tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    result = draft(fake_server.url, "--repo", plain, "--memory-chars", "0")
    assert "(no git history (not a git repository" in fake_server.user_prompts()[0]
    assert result.stdout == "answer 1" and not result.outputs
    assert "no git history" in result.summary


def test_a_context_without_memory_is_an_error(fake_server, tmp_path):
    (tmp_path / "ctx").mkdir()
    with pytest.raises(ConfigError, match=r"ctx: no memory/ folder"):
        draft(fake_server.url, "--context", tmp_path / "ctx")
    assert not fake_server.requests


def test_scribe_draft_runs_against_the_llama_cpp_server(tiny_server, repo, tmp_path):
    output = tmp_path / "draft.md"
    result = draft(tiny_server.url, "--repo", repo, "--context", repo, "--max-tokens", "8",
                   "--memory-chars", "200", "--output", output)  # the server's n_ctx is 512
    assert output.read_text().strip()
    assert result.data["commits"] == 2 and result.data["memory_files"] == 2


def test_scribe_draft_fits_its_material_to_the_served_context(tiny_server, repo, tmp_path):
    # the default --memory-chars (4000) quotes far more than the server's 512 tokens hold
    result = draft(tiny_server.url, "--repo", repo, "--max-tokens", "8")
    assert result.stdout.strip()
    assert re.search(r"cut to \d+ characters to fit the model's context$", result.summary)
