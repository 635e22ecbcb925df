"""The researcher agent: prompts per file, resume after --limit and after a failed request
(counted on a recording loopback server), truncation, and a run against llama.cpp's server."""

from __future__ import annotations

import json
import re

import pytest

from afs.agents.base import get_agent, run_agent
from afs.agents.researcher import ResearchStopped

FILES = {"a.asm": "LDA #$01\nSTA $2100\n", "b.asm": "JSL Sprite_Main\n",
         "docs/c.md": "# DMA\nChannels 0-7.\n", "d.asm": "RTL\n"}
ORDER = ["a.asm", "b.asm", "d.asm", "docs/c.md"]


@pytest.fixture
def input_dir(tmp_path):
    folder = tmp_path / "src"
    for rel, text in FILES.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")  # hidden: never asked
    return folder


def research(server, input_dir, report, *extra):
    return run_agent(get_agent("researcher"),
                     ["--", str(input_dir), str(report), "--endpoint", server.url,
                      "--retries", "0", *extra])


def asked_files(prompts: list[str]) -> list[str]:
    return [re.search(r"^File: (\S+)", prompt, re.MULTILINE).group(1) for prompt in prompts]


def sections(report) -> list[str]:
    return re.findall(r"^## (.+)$", report.read_text(), re.MULTILINE)


def test_a_limited_run_is_resumed_and_only_new_or_changed_files_are_asked(
        fake_server, input_dir, tmp_path):
    report = tmp_path / "out" / "report.md"
    first = research(fake_server, input_dir, report, "--limit", "2")
    assert asked_files(fake_server.user_prompts()) == ORDER[:2]
    assert first.data["remaining"] == 2 and "2 left (rerun to continue)" in first.summary
    assert sections(report) == ORDER[:2]
    assert "2 of 4 files answered; 2 not yet" in report.read_text()

    research(fake_server, input_dir, report)
    assert asked_files(fake_server.user_prompts()) == ORDER  # only the two not yet asked
    assert sections(report) == ORDER
    state = json.loads((tmp_path / "out" / "report.md.state.json").read_text())
    assert sorted(state["files"]) == ORDER

    again = research(fake_server, input_dir, report)
    assert len(fake_server.requests) == 4 and again.data["reused"] == 4

    (input_dir / "b.asm").write_text("JSL Sprite_Main\nRTL\n")
    research(fake_server, input_dir, report)
    assert asked_files(fake_server.user_prompts()[4:]) == ["b.asm"]
    assert "answer 5" in report.read_text() and "answer 2" not in report.read_text()


def test_the_prompt_holds_question_file_and_text_and_the_system_message(fake_server, input_dir,
                                                                        tmp_path):
    research(fake_server, input_dir, tmp_path / "r.md", "--question", "Which registers?",
             "--limit", "1", "--temperature", "0", "--max-tokens", "33")
    request = fake_server.requests[0]
    assert [m["role"] for m in request["messages"]] == ["system", "user"]
    prompt = request["messages"][1]["content"]
    assert prompt.startswith("Which registers?") and "File: a.asm" in prompt
    assert FILES["a.asm"] in prompt
    assert request["max_tokens"] == 33 and request["temperature"] == 0
    assert request["model"] == "fake-model"  # the server's first model


def test_a_failed_request_stops_with_progress_saved_and_a_rerun_goes_on(fake_server, input_dir,
                                                                        tmp_path):
    report = tmp_path / "r.md"
    fake_server.fail_from = 2
    with pytest.raises(ResearchStopped, match=r"b\.asm: .*1 of 4 files done, progress saved in "
                                              r".*r\.md\.state\.json; rerun"):
        research(fake_server, input_dir, report)
    assert sections(report) == ["a.asm"]

    fake_server.fail_from = None
    research(fake_server, input_dir, report)
    assert asked_files(fake_server.user_prompts()) == ["a.asm", "b.asm", *ORDER[1:]]
    assert sections(report) == ORDER


def test_long_files_are_cut_and_binary_files_listed_as_skipped(fake_server, input_dir, tmp_path):
    (input_dir / "big.asm").write_text("NOP\n" * 100)
    (input_dir / "rom.sfc").write_bytes(b"\x00\x01\x02")
    report = tmp_path / "r.md"
    result = research(fake_server, input_dir, report, "--glob", "*.*", "--max-chars", "12")
    big_prompt = next(p for p in fake_server.user_prompts() if "File: big.asm" in p)
    assert "only its first 12 of 400 characters are shown" in big_prompt
    assert "NOP\n" * 3 in big_prompt and "NOP\n" * 4 not in big_prompt
    text = report.read_text()
    assert "_Only the first 12 of 400 characters were sent to the model._" in text
    assert "## Skipped files" in text and "- rom.sfc: binary file" in text
    assert result.data["unreadable"] == {"rom.sfc": "binary file"}
    assert "docs/c.md" not in asked_files(fake_server.user_prompts())  # --glob *.* is one level


def test_a_corrupt_state_file_is_named(fake_server, input_dir, tmp_path):
    from afs.errors import DataError

    (tmp_path / "r.md.state.json").write_text("{not json")
    with pytest.raises(DataError, match=r"r\.md\.state\.json: not a researcher progress file"):
        research(fake_server, input_dir, tmp_path / "r.md")


def test_researcher_runs_against_the_llama_cpp_server(tiny_server, input_dir, tmp_path):
    report = tmp_path / "tiny.md"
    result = run_agent(get_agent("researcher"),
                       [str(input_dir), str(report), "--endpoint", tiny_server.url,
                        "--model", "afs-tiny", "--max-tokens", "6", "--limit", "2"])
    assert result.data["asked"] == ORDER[:2]
    assert sections(report) == ORDER[:2]
    assert json.loads((tmp_path / "tiny.md.state.json").read_text())["files"]["a.asm"]["model"] \
        == "afs-tiny"


LONG_ASM = "".join(f"Routine_{i:03d}:\n  LDA ${i:04X}\n  STA $7E0010\n  RTL\n"
                   for i in range(300))  # about 10,000 characters: far beyond 512 tokens


def test_a_file_too_long_for_the_served_context_is_cut_to_fit(tiny_server, tmp_path):
    folder = tmp_path / "long"
    folder.mkdir()
    (folder / "bank.asm").write_text(LONG_ASM)
    report = tmp_path / "long.md"
    args = [str(folder), str(report), "--endpoint", tiny_server.url, "--max-tokens", "8",
            "--retries", "0"]  # --max-chars 8000 by default: the server's n_ctx is 512
    result = run_agent(get_agent("researcher"), args)

    assert result.data["asked"] == ["bank.asm"]
    entry = json.loads((tmp_path / "long.md.state.json").read_text())["files"]["bank.asm"]
    assert entry["truncated"] and entry["read_chars"] == 8000
    assert 100 < entry["sent_chars"] < 2000  # cut to what 512 tokens hold
    assert (f"_Only the first {entry['sent_chars']} of {len(LONG_ASM)} characters were sent "
            "to the model._") in report.read_text()
    assert run_agent(get_agent("researcher"), args).data["reused"] == 1  # not asked again


def test_a_context_the_server_states_is_met_before_the_first_request(tmp_path):
    from tests.fake_openai import fake_openai_server

    folder = tmp_path / "long"
    folder.mkdir()
    (folder / "bank.asm").write_text(LONG_ASM)
    served = {"id": "llama-server-model", "meta": {"n_ctx_train": 1000}}
    with fake_openai_server(models=[served]) as server:
        run_agent(get_agent("researcher"), [str(folder), str(tmp_path / "r.md"), "--endpoint",
                                            server.url, "--max-tokens", "2000"])
    [request] = server.requests  # no failed try first
    assert request["max_tokens"] == 500  # half of a context too small for --max-tokens
    sent = sum(len(message["content"]) for message in request["messages"])
    assert 900 < sent <= (1000 - 500) * 2  # the room left, at 2 characters a token
