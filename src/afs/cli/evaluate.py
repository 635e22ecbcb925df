"""`afs evaluate`: ask served models the eval suite's prompts and compare their answers.

The command parses its options and calls ``afs.deployment.evaluation`` (imported inside the
command, so `afs --help` never imports openai, matplotlib or MLflow); it only formats what
the library returns.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from afs.cli.group import UserError
from afs.cli.options import UserPath, echo_summary, show_progress
from afs.cli.registry import tracking_uri_option
from afs.cli.tables import echo_table

DEFAULT_SUITE = Path("data/01_raw/eval/eval_suite.jsonl")
DEFAULT_OUTPUT = Path("data/08_reporting/evaluation")
MODEL_NAME = re.compile(r"^[\w.-]+$")
NUMBER_COLUMNS = ("PASS", "PASSED", "ERRORS", "ASAR", "P50_S", "P95_S", "TOK/S")


def parse_models(values: tuple[str, ...] | list[str], local_server: str | None = None
                 ) -> dict[str, str]:
    """``("majora=http://h:1234,nayru=http://h:8000",)`` -> ``{name: url}``, in order; each
    value may hold several comma-separated pairs. With ``local_server``, a bare NAME is the
    model NAME on that server (``URL#NAME``)."""
    endpoints: dict[str, str] = {}
    for value in values:
        for pair in filter(None, (part.strip() for part in value.split(","))):
            name, sep, url = (part.strip() for part in pair.partition("="))
            if not sep and local_server and MODEL_NAME.match(name):
                sep, url = "=", f"{local_server}#{name}"
            if not sep or not MODEL_NAME.match(name) or not url:
                raise click.BadParameter(
                    f"{pair!r}: expected NAME=URL with NAME made of letters, digits, '_', '.' "
                    "or '-', e.g. majora=http://localhost:1234", param_hint="--models")
            if name in endpoints:
                raise click.BadParameter(f"{name!r} is given twice", param_hint="--models")
            endpoints[name] = url
    if not endpoints:
        raise click.BadParameter("give at least one NAME=URL", param_hint="--models")
    return endpoints


def _project_path(relative: Path) -> Path:
    """``relative`` under the Kedro project around the working directory (else here)."""
    from afs.registry.store import find_kedro_project

    return (find_kedro_project() or Path.cwd()) / relative


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def echo_comparison(report: dict) -> None:
    """One row a model (status, pass rate, errors, latency, speed), then why each failing
    endpoint failed."""
    rows = []
    for name, model in report["models"].items():
        s = model.get("summary") or {}
        rows.append((name, model["status"], _rate(s.get("pass_rate")),
                     f"{s.get('passed', 0)}/{s.get('judged', 0)}" if s else "-",
                     str(s.get("errors", "-")), _rate(s.get("asar_valid_rate")),
                     _seconds(s.get("latency_p50_s")), _seconds(s.get("latency_p95_s")),
                     "-" if s.get("tokens_per_s") is None else f"{s['tokens_per_s']:.1f}"))
    echo_table(("MODEL", "STATUS", "PASS", "PASSED", "ERRORS", "ASAR", "P50_S", "P95_S",
                "TOK/S"), rows, right=NUMBER_COLUMNS)
    for name, model in report["models"].items():
        if model.get("error"):
            click.echo(f"{name}: {model['error']}")


def evaluation_settings(models: tuple[str, ...], timeout_s: float | None,
                        concurrency: int | None, sample_size: int | None
                        ) -> tuple[dict[str, str], float, int, int | None]:
    """Endpoints, timeout, concurrency and sample size: the options when given, else the AFS
    config (``evaluation.models``/``timeout``/``sample_size``, ``orchestration.workers``; a
    bare model NAME is that model on ``http://127.0.0.1:<orchestration.port>``)."""
    from afs.config import load_config

    config = load_config()
    local_server = f"http://127.0.0.1:{config.orchestration.port}"
    named = models or tuple(config.evaluation.models)
    if not named:
        raise click.BadParameter("give at least one NAME=URL (or set evaluation.models in the "
                                 "AFS config)", param_hint="--models")
    return (parse_models(named, local_server),
            config.evaluation.timeout if timeout_s is None else timeout_s,
            config.orchestration.workers if concurrency is None else concurrency,
            config.chosen("evaluation.sample_size") if sample_size is None else sample_size)


@click.command("evaluate")
@click.option("--models", "models", multiple=True, metavar="NAME=URL[,…]",
              help="Endpoints to compare, e.g. majora=http://localhost:1234,"
                   "nayru=http://localhost:8000 (repeatable). URL is an OpenAI-compatible "
                   "server (…/v1 added when no path is given); URL#MODEL picks a served model, "
                   "else the one named NAME, else the server's first. A bare NAME is model NAME "
                   "on http://127.0.0.1:<orchestration.port> [default: evaluation.models of the "
                   "AFS config].")
@click.option("--suite", "suite_path", type=UserPath(), default=None,
              help=f"Eval suite JSONL (lines with `prompt`, or `instruction` + optional "
                   f"`input`) [default: {DEFAULT_SUITE} of the project].")
@click.option("--output", "output_dir", type=UserPath(), default=None,
              help=f"Folder for evaluation.json and evaluation.html "
                   f"[default: {DEFAULT_OUTPUT} of the project].")
@click.option("--concurrency", type=click.IntRange(min=1), default=None,
              help="Requests in flight per endpoint [default: orchestration.workers of the AFS "
                   "config, 4].")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0, min_open=True),
              default=None, help="Seconds one request may take [default: evaluation.timeout of "
                                 "the AFS config, 30].")
@click.option("--retries", type=click.IntRange(min=0), default=0, show_default=True,
              help="Extra tries of a request after a connection error or a 5xx.")
@click.option("--max-tokens", type=click.IntRange(min=1), default=256, show_default=True,
              help="Longest answer, in tokens.")
@click.option("--temperature", type=float, default=0.0, show_default=True,
              help="Sampling temperature (0: greedy, comparable runs).")
@click.option("--sample-size", type=click.IntRange(min=1), default=None,
              help="Ask only this many items, picked with --seed [default: "
                   "evaluation.sample_size when the AFS config sets it, else all].")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the sample and of the servers' sampling.")
@tracking_uri_option
@click.option("--no-mlflow", is_flag=True, help="Do not log the run to MLflow.")
@click.option("--json", "as_json", is_flag=True, help="Print the report JSON instead of text.")
def evaluate(models: tuple[str, ...], suite_path: Path | None, output_dir: Path | None,
             concurrency: int | None, timeout_s: float | None, retries: int, max_tokens: int,
             temperature: float, sample_size: int | None, seed: int, tracking_uri: str | None,
             no_mlflow: bool, as_json: bool) -> None:
    """Run an eval suite against OpenAI-compatible endpoints and compare the models.

    Every answer is checked (exact, contains or asar validity, as the suite says) and timed;
    the report goes to OUTPUT/evaluation.json and evaluation.html and to MLflow (experiment
    afs-evaluation). An endpoint that does not answer is reported as failed, never scored.

    Exit code 0 when at least one endpoint answered, 1 when every endpoint failed.
    """
    from afs.deployment.evaluation import (
        all_endpoints_failed,
        evaluate_suite,
        log_evaluation_to_mlflow,
        write_evaluation_report,
    )

    endpoints, timeout_s, concurrency, sample_size = evaluation_settings(
        models, timeout_s, concurrency, sample_size)
    if suite_path is None:
        suite_path = _project_path(DEFAULT_SUITE)
        if not suite_path.is_file():
            raise click.BadParameter(f"no suite at {suite_path}; give one", param_hint="--suite")
    output_dir = output_dir or _project_path(DEFAULT_OUTPUT)
    report = evaluate_suite(endpoints, suite_path, sample_size=sample_size, seed=seed,
                            concurrency=concurrency, timeout_s=timeout_s, retries=retries,
                            max_tokens=max_tokens, temperature=temperature,
                            progress=show_progress())
    json_path, html_path = write_evaluation_report(report, output_dir)
    run_id = None if no_mlflow else log_evaluation_to_mlflow(report, json_path, html_path,
                                                             tracking_uri=tracking_uri)
    if as_json:
        click.echo(json.dumps(report | {"mlflow_run_id": run_id}, indent=2))
    else:
        echo_comparison(report)
        tracked = f", MLflow run {run_id}" if run_id else ""
        echo_summary(f"{len(endpoints)} endpoints, {report['suite']['items']} items -> "
                     f"{json_path}, {html_path}{tracked}")
    if all_endpoints_failed(report):
        reasons = "; ".join(f"{name}: {m['status']}" for name, m in report["models"].items())
        raise UserError(f"every endpoint failed ({reasons}); see {json_path}")
