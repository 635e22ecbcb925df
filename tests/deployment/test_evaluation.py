"""Model evaluation (afs.deployment.evaluation): the suite's checks, a "perfect model" served
by a stdlib OpenAI-compatible server, the real llama.cpp server beside a dead endpoint, a
server too slow for the timeout, the report files and MLflow."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest

from afs.deployment.eval_suite import EvalItem, load_eval_suite, score_answer
from afs.deployment.evaluation import (
    all_endpoints_failed,
    evaluate_endpoints,
    evaluate_suite,
    log_evaluation_to_mlflow,
    write_evaluation_report,
)
from afs.deployment.server import LOOPBACK, free_port
from afs.errors import DataError
from tests.fake_openai import fake_openai_server

SUITE = Path(__file__).resolve().parents[2] / "data" / "01_raw" / "eval" / "eval_suite.jsonl"


@contextmanager
def reference_server(answers: dict[str, str], delay_s: float = 0.0) -> Iterator[str]:
    """A loopback OpenAI-compatible server answering each prompt with ``answers[prompt]``
    (a "perfect" model); yields its URL."""
    def answer(request: dict, number: int) -> str:
        return answers.get(request["messages"][-1]["content"], "I do not know.")

    with fake_openai_server(answer, models=("perfect",), delay_s=delay_s) as server:
        yield server.url


@pytest.fixture(scope="module")
def suite() -> list[EvalItem]:
    return load_eval_suite(SUITE)


@pytest.fixture(scope="module")
def perfect_url(suite) -> Iterator[str]:
    with reference_server({item.prompt: item.reference for item in suite}) as url:
        yield url


def dead_url() -> str:
    return f"http://{LOOPBACK}:{free_port()}"


# ------------------------------------------------------------------ checks


def item(check: str, expect: tuple[str, ...] = (), reference: str | None = None) -> EvalItem:
    return EvalItem("t", "question", check, expect, reference)


def test_contains_needs_every_entry_and_takes_alternatives():
    rule = item("contains", ("8-bit", "zero|clear|$00"))
    assert score_answer(rule, "It makes X 8-BIT and the high byte becomes $00.").passed
    assert score_answer(rule, "8-bit index registers; the high bytes are CLEARED").passed
    verdict = score_answer(rule, "The high bytes are cleared.")
    assert not verdict.passed and "'8-bit'" in verdict.detail and "zero" not in verdict.detail


def test_exact_folds_case_space_a_final_period_and_backticks():
    rule = item("exact", reference="REP #$20")
    for answer in ("REP #$20", " rep   #$20. ", "`REP #$20`"):
        assert score_answer(rule, answer).passed, answer
    verdict = score_answer(rule, "REP #$30")
    assert not verdict.passed and "'REP #$20'" in verdict.detail
    assert not score_answer(rule, "It is REP #$20").passed  # the whole answer must match
    listed = item("exact", expect=("BCS|BGE",), reference="ignored")
    assert score_answer(listed, "bge").passed and not score_answer(listed, "ignored").passed


def test_asar_accepts_valid_code_and_names_errors_and_missing_labels():
    rule = item("asar", ("CheckB",))
    good = "Here:\n```asm\nCheckB:\n  LDA.b $F4\n  AND.b #$80\n  RTS\n```"
    verdict = score_answer(rule, good)
    assert verdict.passed and verdict.asar_valid and verdict.check == "asar"

    bad = "```asm\nCheckB:\n  LDQ.b $F4\n  RTS\n```"
    verdict = score_answer(rule, bad)
    assert not verdict.passed and verdict.asar_valid is False
    assert verdict.detail.startswith("asar errors: 3:3: unknown_mnemonic")

    unnamed = "```asm\nOther:\n  LDA.b $F4\n  RTS\n```"
    verdict = score_answer(rule, unnamed)
    assert not verdict.passed and verdict.asar_valid is True
    assert verdict.detail == "code lacks 'CheckB'"

    prose = score_answer(rule, "Load $F4 and mask bit 7 with CheckB.")
    assert not prose.passed and prose.detail == "no asar code in the answer"
    bare = score_answer(rule, "CheckB:\n  LDA.b $F4\n  RTS")  # unfenced code counts too
    assert bare.passed


def test_every_shipped_reference_answer_passes_its_own_check(suite):
    assert len(suite) == 38 and {i.check for i in suite} == {"exact", "contains", "asar"}
    failing = {i.eval_id: score_answer(i, i.reference).detail for i in suite
               if not score_answer(i, i.reference).passed}
    assert not failing


# ------------------------------------------------------------------ loading


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_suite_lines_take_a_prompt_or_an_instruction_and_its_input(tmp_path):
    path = write_lines(
        tmp_path / "suite.jsonl",
        json.dumps({"prompt": "Say BCS.", "check": "exact", "expect": ["BCS"], "id": "p1"}),
        "",
        json.dumps({"instruction": "Explain:", "input": "LDA #$01", "output": "loads 1",
                    "_metadata": {"eval_id": "i1", "check": "contains", "expect": ["load"]}}),
        json.dumps({"instruction": "Just talk."}))
    first, second, third = load_eval_suite(path)
    assert (first.eval_id, first.prompt, first.check, first.expect) == ("p1", "Say BCS.", "exact",
                                                                        ("BCS",))
    assert second.prompt == "Explain:\n\nLDA #$01" and second.line == 3
    assert (third.eval_id, third.check) == ("line-4", "none")
    assert score_answer(third, "anything").passed is None


def test_sampling_is_deterministic_and_keeps_file_order():
    picked = [i.eval_id for i in load_eval_suite(SUITE, sample_size=6, seed=3)]
    assert picked == [i.eval_id for i in load_eval_suite(SUITE, sample_size=6, seed=3)]
    assert picked != [i.eval_id for i in load_eval_suite(SUITE, sample_size=6, seed=4)]
    everything = [i.eval_id for i in load_eval_suite(SUITE)]
    assert picked == [eid for eid in everything if eid in picked]
    assert len(load_eval_suite(SUITE, sample_size=1000)) == len(everything)


@pytest.mark.parametrize(("line", "problem"), [
    ('{"prompt": "x", "check": "exact", "expect": ["a"]', "malformed JSON"),
    ('{"input": "LDA #$01", "check": "none"}', "missing prompt"),
    ('{"prompt": "x", "check": "fuzzy"}', "unknown check 'fuzzy'"),
    ('{"prompt": "x", "check": "contains"}', "needs an 'expect' list"),
    ('{"prompt": "x", "check": "exact"}', "check 'exact' needs"),
    ('{"prompt": "x", "expect": [1]}', "'expect' must be a list"),
    ('{"prompt": "x", "id": "a"}', "eval_id 'a' is already used on line 1"),
    ('["prompt"]', "expected a JSON object"),
])
def test_a_bad_suite_line_is_an_error_naming_file_and_line(tmp_path, line, problem):
    path = write_lines(tmp_path / "suite.jsonl", '{"prompt": "ok", "id": "a"}', line)
    with pytest.raises(DataError) as caught:
        load_eval_suite(path)
    assert str(caught.value).startswith(f"{path}:2: ") and problem in str(caught.value)


def test_an_empty_suite_is_an_error(tmp_path):
    with pytest.raises(DataError, match="empty.jsonl: empty input"):
        load_eval_suite(write_lines(tmp_path / "empty.jsonl", ""))


# ------------------------------------------------------------------ endpoints


def test_the_perfect_model_passes_every_shipped_item(suite, perfect_url):
    report = evaluate_endpoints({"perfect": perfect_url}, suite, concurrency=4, timeout_s=10,
                                progress=False)
    model = report["models"]["perfect"]
    summary = model["summary"]
    assert (model["status"], model["model"], model["error"]) == ("ok", "perfect", None)
    assert summary["pass_rate"] == 1.0 and summary["passed"] == summary["judged"] == 38
    assert summary["pass_rate_by_check"] == {"exact": 1.0, "contains": 1.0, "asar": 1.0}
    assert summary["asar_valid_rate"] == 1.0 and summary["errors"] == 0
    assert summary["tokens_per_s"] > 0 and 0 < summary["latency_p50_s"] <= summary["latency_p95_s"]
    assert [row["id"] for row in model["items"]] == [i.eval_id for i in suite]
    assert not all_endpoints_failed(report)


def test_a_slow_endpoint_is_recorded_as_errors_not_failures(suite):
    items = suite[:3]
    with reference_server({i.prompt: i.reference for i in items}, delay_s=3.0) as url:
        started = time.perf_counter()
        report = evaluate_endpoints({"slow": url}, items, concurrency=3, timeout_s=0.5,
                                    progress=False)
        assert time.perf_counter() - started < 3.0  # nobody waited for the answers
    model = report["models"]["slow"]
    assert model["status"] == "failed" and all_endpoints_failed(report)
    summary = model["summary"]
    assert (summary["answered"], summary["errors"], summary["judged"]) == (0, 3, 0)
    assert summary["pass_rate"] is None and summary["latency_p50_s"] is None
    for row in model["items"]:
        assert row["passed"] is None and row["answer"] is None
        assert "no answer within 0.5 s" in row["error"]


def test_a_model_the_server_lacks_is_an_error(suite, perfect_url):
    report = evaluate_endpoints({"pinned": perfect_url + "#majora"}, suite[:2], progress=False)
    model = report["models"]["pinned"]
    assert model["status"] == "error" and "does not serve model 'majora'" in model["error"]
    assert model["items"] == [] and model["summary"] is None


@pytest.fixture(scope="module")
def mixed_report(tiny_server, perfect_url, tmp_path_factory):
    """The tiny llama.cpp model, a dead port and the perfect model on 3 sampled items."""
    report = evaluate_suite({"tiny": tiny_server.url, "dead": dead_url(), "perfect": perfect_url},
                            SUITE, sample_size=3, seed=1, max_tokens=12, timeout_s=60,
                            concurrency=2, progress=False)
    paths = write_evaluation_report(report, tmp_path_factory.mktemp("evaluation"))
    return report, paths


def test_a_dead_endpoint_is_reported_and_the_others_scored(mixed_report):
    report, _ = mixed_report
    dead, tiny, perfect = (report["models"][n] for n in ("dead", "tiny", "perfect"))
    assert dead["status"] == "unreachable" and "no OpenAI-compatible server" in dead["error"]
    assert dead["items"] == [] and dead["summary"] is None
    assert tiny["status"] == "ok" and tiny["model"] == "afs-tiny"
    assert tiny["summary"]["answered"] == 3 and tiny["summary"]["errors"] == 0
    assert all(row["completion_tokens"] and row["answer"] is not None for row in tiny["items"])
    assert perfect["summary"]["pass_rate"] == 1.0
    assert report["suite"]["items"] == 3 and report["suite"]["sample_size"] == 3
    assert len(report["suite"]["sha256"]) == 64 and report["settings"]["max_tokens"] == 12


def test_the_report_is_written_as_json_and_html_with_plots(mixed_report):
    report, (json_path, html_path) = mixed_report
    assert (json_path.name, html_path.name) == ("evaluation.json", "evaluation.html")
    assert orjson.loads(json_path.read_bytes()) == orjson.loads(orjson.dumps(report))
    page = html_path.read_text()
    assert '<img src="data:image/png;base64,' in page
    assert page.count("data:image/png;base64,") == 3
    assert "unreachable: no OpenAI-compatible server" in page
    for eval_id in (row["id"] for row in report["models"]["perfect"]["items"]):
        assert eval_id in page


def test_the_evaluation_is_logged_to_mlflow(mixed_report, tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    report, (json_path, html_path) = mixed_report
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run_id = log_evaluation_to_mlflow(report, json_path, html_path, tracking_uri=uri,
                                      run_name="eval-test")
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(run_id)
    metrics = run.data.metrics
    assert metrics["eval.perfect.pass_rate"] == 1.0
    for check in report["models"]["perfect"]["summary"]["pass_rate_by_check"]:
        assert metrics[f"eval.perfect.pass_rate.{check}"] == 1.0
    assert metrics["eval.tiny.latency_p50_s"] > 0 and metrics["eval.tiny.tokens_per_s"] > 0
    assert metrics["eval.dead.reachable"] == 0.0 and "eval.dead.pass_rate" not in metrics
    assert run.data.tags["eval.dead.status"] == "unreachable"
    assert run.data.params["suite_sha256"] == report["suite"]["sha256"]
    assert run.info.status == "FINISHED" and run.info.run_name == "eval-test"
    artifacts = {a.path for a in client.list_artifacts(run_id, "evaluation")}
    assert artifacts == {"evaluation/evaluation.json", "evaluation/evaluation.html"}


def test_inside_an_active_run_it_logs_into_that_run(suite, perfect_url, tmp_path, monkeypatch):
    """As under kedro-mlflow: no new run, the node's run gets the metrics and files."""
    import mlflow

    monkeypatch.chdir(tmp_path)  # the default experiment keeps artifacts in ./mlruns
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    report = evaluate_endpoints({"perfect": perfect_url}, suite[:2], progress=False)
    paths = write_evaluation_report(report, tmp_path / "out")
    with mlflow.start_run() as run:
        assert log_evaluation_to_mlflow(report, *paths) == run.info.run_id
    client = mlflow.MlflowClient()
    assert client.get_run(run.info.run_id).data.metrics["eval.perfect.pass_rate"] == 1.0
    assert {a.path for a in client.list_artifacts(run.info.run_id, "evaluation")} == {
        "evaluation/evaluation.json", "evaluation/evaluation.html"}
