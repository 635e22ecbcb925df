"""`afs evaluate`: the real llama.cpp server (tests/conftest.py ``tiny_server``) beside a dead
port, through click's runner on the `afs` group and through the installed console script."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from afs.cli import cli
from afs.cli.evaluate import parse_models
from afs.deployment.server import LOOPBACK, free_port

from .clitools import assert_user_error

SUITE = Path(__file__).resolve().parents[2] / "data" / "01_raw" / "eval" / "eval_suite.jsonl"


def dead_url() -> str:
    return f"http://{LOOPBACK}:{free_port()}"


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, ["evaluate", *map(str, args)])


@pytest.fixture(autouse=True)
def no_outside_mlflow(monkeypatch):
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.delenv(name, raising=False)


def test_models_are_name_url_pairs_comma_separated_or_repeated():
    assert parse_models(("majora=http://h:1234,nayru=http://h:8000/v1", " din = h:1 ")) == {
        "majora": "http://h:1234", "nayru": "http://h:8000/v1", "din": "h:1"}
    for bad in ("majora", "=http://h:1", "majora=", "ma jora=http://h:1", "a=h:1,a=h:2"):
        with pytest.raises(click.BadParameter):
            parse_models((bad,))


def test_bad_models_syntax_is_a_usage_error():
    result = invoke("--models", "majora:http://h:1234", "--suite", SUITE)
    assert result.exit_code == 2
    assert "--models" in result.stderr and "expected NAME=URL" in result.stderr


def test_evaluate_compares_models_writes_reports_and_logs_to_mlflow(tiny_server, tmp_path):
    output = tmp_path / "report"
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = invoke("--models", f"tiny={tiny_server.url}", "--models", f"dead={dead_url()}",
                    "--suite", SUITE, "--output", output, "--sample-size", "2",
                    "--max-tokens", "8", "--concurrency", "2", "--tracking-uri", uri)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["MODEL", "STATUS", "PASS"]
    assert lines[1].split()[:2] == ["tiny", "ok"]
    assert lines[2].split()[:2] == ["dead", "unreachable"]
    assert lines[-1].startswith("evaluate: 2 endpoints, 2 items -> ") and "MLflow run " in lines[-1]
    report = json.loads((output / "evaluation.json").read_text())
    assert report["models"]["tiny"]["summary"]["answered"] == 2
    assert report["models"]["dead"]["status"] == "unreachable"
    assert '<img src="data:image/png;base64,' in (output / "evaluation.html").read_text()
    assert (tmp_path / "mlflow.db").is_file()


def test_json_prints_the_report(tiny_server, tmp_path):
    result = invoke("--models", f"tiny={tiny_server.url}", "--suite", SUITE, "--output",
                    tmp_path, "--sample-size", "1", "--max-tokens", "4", "--no-mlflow", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["mlflow_run_id"] is None and report["suite"]["items"] == 1
    assert report["models"]["tiny"]["items"][0]["completion_tokens"] >= 1


def test_a_bad_suite_line_is_one_error_line(tmp_path):
    suite = tmp_path / "suite.jsonl"
    suite.write_text('{"prompt": "ok"}\n{"instruction": ""}\n')
    result = invoke("--models", f"dead={dead_url()}", "--suite", suite, "--no-mlflow")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {suite}:2: missing prompt: give a non-empty " \
                                    "'prompt' or 'instruction'"


def test_without_a_suite_here_the_default_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("--models", f"dead={dead_url()}", "--no-mlflow")
    assert result.exit_code == 2 and "--suite" in result.stderr and "no suite at" in result.stderr


def test_every_endpoint_failing_exits_1_through_the_console_script(afs, tmp_path):
    help_text = afs("evaluate", "--help")
    assert help_text.returncode == 0
    assert "1 when every endpoint failed" in " ".join(help_text.stdout.split())
    result = afs("evaluate", "--models", f"dead={dead_url()},gone={dead_url()}", "--suite",
                 SUITE, "--sample-size", "2", "--output", tmp_path / "out", "--no-mlflow")
    assert_user_error(result, "every endpoint failed", "dead: unreachable", "gone: unreachable")
    lines = result.stdout.splitlines()
    assert lines[1].split()[:2] == ["dead", "unreachable"]
    assert lines[3].startswith("dead: no OpenAI-compatible server at ")
    assert (tmp_path / "out" / "evaluation.json").is_file()
