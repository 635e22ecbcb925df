"""Evaluate served models on an eval suite: ask each OpenAI-compatible endpoint every prompt
(concurrently, with a per-request timeout), check the answers, and compare the models.

The suite and the checks are :mod:`afs.deployment.eval_suite`.

An endpoint that does not answer its model list is ``unreachable`` (or ``error`` when it
serves no usable model) and none of its items is scored. A request that fails or times out
is an error of that item, counted apart from wrong answers: a failing server never reads as
a bad model.
"""

from __future__ import annotations

import logging
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from afs.atomic_dir import atomic_write
from afs.deployment.client import LMStudioClient, ModelNotFoundError, ServerUnavailableError
from afs.deployment.eval_suite import (
    CHECKS,
    JUDGED_CHECKS,
    EvalItem,
    load_eval_suite,
    score_answer,
)
from afs.errors import AfsError, ConfigError
from afs.registry.fingerprint import fingerprint_dataset
from afs.registry.store import (
    get_or_create_experiment,
    open_client,
    resolve_tracking_uri,
    store_errors,
)
from afs.reports.evaluation import evaluation_report_html
from afs.tracking import MlflowTracker

log = logging.getLogger(__name__)

ANSWER_CHARS = 2000  # of each answer kept in the report
EVAL_EXPERIMENT = "afs-evaluation"
REPORT_NAME = "evaluation"  # <output>/evaluation.json and evaluation.html
FAILED_STATUSES = ("unreachable", "error", "failed")


# ------------------------------------------------------------------ asking the endpoints


def _probe(name: str, url: str, timeout_s: float) -> tuple[Any, dict[str, Any]]:
    """A client for the endpoint, pinned to its model, and the endpoint's report head; the
    client is None when the endpoint cannot be asked. ``url#model`` pins a model id; else
    the model named like the endpoint, else the server's first model."""
    base, _, pinned = url.partition("#")
    head: dict[str, Any] = {"url": url, "model": None, "status": "ok", "error": None}
    probe = LMStudioClient.from_url(base, model=pinned or None, timeout_s=timeout_s,
                                    max_retries=1)
    try:
        served = probe.models()
        if pinned and pinned not in served:
            raise ModelNotFoundError(f"{probe.base_url} does not serve model {pinned!r}; it "
                                     f"serves: {', '.join(served) or '(none)'}")
        if not served:
            raise ModelNotFoundError(f"{probe.base_url} serves no model; load one first")
    except ServerUnavailableError as exc:
        return None, head | {"status": "unreachable", "error": str(exc)}
    except AfsError as exc:  # no such model, or a server error on the model list
        return None, head | {"status": "error", "error": str(exc)}
    head["model"] = pinned or (name if name in served else served[0])
    probe.model = head["model"]
    return probe, head


def _ask(client: Any, item: EvalItem, settings: Mapping[str, Any]) -> dict[str, Any]:
    """One request; its result or its error (an error is never an answer)."""
    try:
        result = client.complete(item.prompt, temperature=settings["temperature"],
                                 max_tokens=settings["max_tokens"], seed=settings["seed"])
    except Exception as exc:  # noqa: BLE001 - any failure of the endpoint is its error
        return {"error": f"{type(exc).__name__}: {exc}"[:500], "finished": time.perf_counter()}
    return {"result": result, "finished": time.perf_counter()}


def _item_row(item: EvalItem, outcome: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"id": item.eval_id, "check": item.check, "domain": item.domain}
    if "error" in outcome:
        return row | {"passed": None, "asar_valid": None, "detail": "", "error": outcome["error"],
                      "latency_s": None, "prompt_tokens": None, "completion_tokens": None,
                      "tokens_per_s": None, "finish_reason": None, "answer": None}
    result = outcome["result"]
    score = score_answer(item, result.text)
    return row | {"passed": score.passed, "asar_valid": score.asar_valid, "detail": score.detail,
                  "error": None, "latency_s": result.latency_s,
                  "prompt_tokens": result.prompt_tokens,
                  "completion_tokens": result.completion_tokens,
                  "tokens_per_s": result.tokens_per_s, "finish_reason": result.finish_reason,
                  "answer": result.text[:ANSWER_CHARS]}


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    import numpy as np

    return float(np.percentile(values, q))


def _rate(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def summarize_rows(rows: Sequence[Mapping[str, Any]], total_s: float | None) -> dict[str, Any]:
    """One model's figures from its item rows (rates over answered, judged items)."""
    answered = [r for r in rows if r["error"] is None]
    judged = [r for r in answered if r["passed"] is not None]
    latencies = [r["latency_s"] for r in answered]
    speeds = [r["tokens_per_s"] for r in answered if r["tokens_per_s"] is not None]
    by_check = {check: _rate([r["passed"] for r in judged if r["check"] == check])
                for check in JUDGED_CHECKS if any(r["check"] == check for r in judged)}
    return {
        "items": len(rows), "answered": len(answered), "errors": len(rows) - len(answered),
        "judged": len(judged), "passed": sum(bool(r["passed"]) for r in judged),
        "pass_rate": _rate([r["passed"] for r in judged]),
        "pass_rate_by_check": by_check,
        "asar_valid_rate": _rate([r["asar_valid"] for r in answered
                                  if r["asar_valid"] is not None]),
        "latency_p50_s": _percentile(latencies, 50),
        "latency_p95_s": _percentile(latencies, 95),
        "latency_mean_s": sum(latencies) / len(latencies) if latencies else None,
        "tokens_per_s": sum(speeds) / len(speeds) if speeds else None,
        "completion_tokens": sum(r["completion_tokens"] or 0 for r in answered),
        "total_s": total_s,
    }


def _status(summary: Mapping[str, Any]) -> str:
    if not summary["errors"]:
        return "ok"
    return "failed" if not summary["answered"] else "partial"


def evaluate_endpoints(endpoints: Mapping[str, str], items: Sequence[EvalItem], *,
                       concurrency: int = 4, timeout_s: float = 30.0, max_tokens: int = 256,
                       temperature: float = 0.0, seed: int = 0, retries: int = 0,
                       progress: bool = True, suite_path: str | Path | None = None
                       ) -> dict[str, Any]:
    """Ask every endpoint (name -> URL, ``URL#model`` to pin a model) every item, with at
    most ``concurrency`` requests in flight per endpoint, each waiting at most ``timeout_s``
    (``retries`` more tries on connection errors and 5xx). Returns the JSON-ready report."""
    if not endpoints:
        raise ConfigError("no endpoints to evaluate: give at least one NAME=URL")
    if concurrency < 1 or timeout_s <= 0 or max_tokens < 1 or retries < 0:
        raise ConfigError("concurrency and max_tokens must be >= 1, timeout_s > 0, retries >= 0")
    settings = {"concurrency": concurrency, "timeout_s": timeout_s, "max_tokens": max_tokens,
                "temperature": temperature, "seed": seed, "retries": retries}
    started_at = datetime.now(UTC)
    models: dict[str, dict[str, Any]] = {}
    clients: dict[str, Any] = {}
    with ThreadPoolExecutor(max_workers=min(len(endpoints), 8)) as pool:  # probes in parallel
        probes = {name: pool.submit(_probe, name, url, timeout_s)
                  for name, url in endpoints.items()}
        for name, future in probes.items():
            client, models[name] = future.result()
            if client is not None:
                client.max_retries = retries
                clients[name] = client
            else:
                log.info("%s is not scored: %s", name, models[name]["error"])
    rows = _ask_all(clients, items, settings, progress)
    for name, head in models.items():
        if name in clients:
            item_rows, total_s = rows[name]
            head["summary"] = summarize_rows(item_rows, total_s)
            head["status"] = _status(head["summary"])
            head["items"] = item_rows
        else:
            head["summary"], head["items"] = None, []
    suite = {"path": str(suite_path) if suite_path else None,
             "sha256": fingerprint_dataset(suite_path).sha256 if suite_path else None, "items": len(items),
             "checks": {c: sum(i.check == c for i in items) for c in CHECKS
                        if any(i.check == c for i in items)}}
    finished_at = datetime.now(UTC)
    return {"suite": suite, "settings": settings, "started_at": started_at.isoformat(),
            "finished_at": finished_at.isoformat(),
            "duration_s": (finished_at - started_at).total_seconds(), "models": models}


def _ask_all(clients: Mapping[str, Any], items: Sequence[EvalItem], settings: Mapping[str, Any],
             progress: bool) -> dict[str, tuple[list[dict[str, Any]], float]]:
    """Every item on every live endpoint: name -> (item rows in suite order, wall time)."""
    from tqdm.auto import tqdm

    if not clients:
        return {}
    pools = {name: ThreadPoolExecutor(max_workers=settings["concurrency"],
                                      thread_name_prefix=f"eval-{name}") for name in clients}
    started: dict[str, float] = {}
    futures = {}
    try:
        for name, client in clients.items():
            started[name] = time.perf_counter()
            for index, item in enumerate(items):
                futures[pools[name].submit(_ask, client, item, settings)] = (name, index)
        outcomes: dict[str, list[Any]] = {name: [None] * len(items) for name in clients}
        with tqdm(total=len(futures), desc="evaluate", unit="req", file=sys.stderr,
                  disable=not progress) as bar:
            for future in as_completed(futures):
                name, index = futures[future]
                outcomes[name][index] = future.result()
                bar.update()
    finally:
        for pool in pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
    result = {}
    for name, answers in outcomes.items():
        total_s = max(o["finished"] for o in answers) - started[name]
        result[name] = ([_item_row(item, o) for item, o in zip(items, answers, strict=True)],
                        total_s)
    return result


def evaluate_suite(endpoints: Mapping[str, str], suite_path: str | Path, *,
                   sample_size: int | None = None, seed: int = 0, **kwargs: Any) -> dict[str, Any]:
    """Load the suite at ``suite_path`` (optionally sampled) and evaluate the endpoints on it:
    what ``afs evaluate`` and the deployment pipeline call."""
    items = load_eval_suite(suite_path, sample_size, seed)
    report = evaluate_endpoints(endpoints, items, seed=seed, suite_path=suite_path, **kwargs)
    report["suite"]["sample_size"] = sample_size
    return report


def all_endpoints_failed(report: Mapping[str, Any]) -> bool:
    """True when no endpoint answered a single item."""
    return all(m["status"] in FAILED_STATUSES for m in report["models"].values())


# ------------------------------------------------------------------ writing and tracking


def write_evaluation_report(report: Mapping[str, Any], output_dir: str | Path
                            ) -> tuple[Path, Path]:
    """``evaluation.json`` and ``evaluation.html`` in ``output_dir``, each written atomically."""
    output_dir = Path(output_dir).expanduser()
    json_path = output_dir / f"{REPORT_NAME}.json"
    html_path = output_dir / f"{REPORT_NAME}.html"
    page = evaluation_report_html(report)
    with atomic_write(json_path) as handle:
        handle.write(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    with atomic_write(html_path, "w") as handle:
        handle.write(page)
    return json_path, html_path


_METRIC_NAME = re.compile(r"[^\w.\- /]")


def evaluation_metrics(report: Mapping[str, Any]) -> dict[str, float]:
    """``eval.<model>.<figure>`` for every model that answered (MLflow metric names)."""
    metrics: dict[str, float] = {}
    keys = ("pass_rate", "asar_valid_rate", "latency_p50_s", "latency_p95_s", "latency_mean_s",
            "tokens_per_s", "answered", "errors", "total_s")
    for name, model in report["models"].items():
        prefix = f"eval.{_METRIC_NAME.sub('_', name)}"
        metrics[f"{prefix}.reachable"] = float(model["status"] not in ("unreachable", "error"))
        summary = model.get("summary") or {}
        for key in keys:
            if summary.get(key) is not None:
                metrics[f"{prefix}.{key}"] = float(summary[key])
        for check, rate in (summary.get("pass_rate_by_check") or {}).items():
            if rate is not None:
                metrics[f"{prefix}.pass_rate.{check}"] = float(rate)
    return metrics


def _params(report: Mapping[str, Any]) -> dict[str, Any]:
    suite = report["suite"]
    return {"suite_path": suite["path"], "suite_sha256": suite["sha256"],
            "suite_items": suite["items"], **report["settings"],
            "models": ",".join(f"{n}={m['url']}" for n, m in report["models"].items())[:500]}


def log_evaluation_to_mlflow(report: Mapping[str, Any], json_path: str | Path,
                             html_path: str | Path, tracking_uri: str | None = None,
                             run_name: str = "afs-evaluate",
                             experiment: str = EVAL_EXPERIMENT) -> str | None:
    """Log the evaluation (params, ``eval.<model>.*`` metrics, the JSON and HTML as
    artifacts under ``evaluation/``) and return the run id.

    Inside an active MLflow run (a kedro-mlflow node) with no ``tracking_uri``, it logs into
    that run, and an MLflow error is a warning (see ``afs.tracking``). Otherwise it creates a
    finished run in ``experiment`` of the store :func:`resolve_tracking_uri` names; an MLflow
    error there is a ConfigError naming the store."""
    mlflow = sys.modules.get("mlflow")
    if tracking_uri is None and mlflow is not None and mlflow.active_run() is not None:
        return _log_into_active_run(report, json_path, html_path, run_name)
    uri = resolve_tracking_uri(tracking_uri)
    with store_errors(uri):
        from mlflow.entities import Metric, Param

        client = open_client(uri)
        run = client.create_run(get_or_create_experiment(client, experiment, uri),
                                run_name=run_name, tags=_tags(report))
        run_id = run.info.run_id
        try:
            now = int(time.time() * 1000)
            client.log_batch(run_id, params=[Param(k, str(v)) for k, v in _params(report).items()],
                             metrics=[Metric(k, v, now, 0)
                                      for k, v in evaluation_metrics(report).items()])
            for path in (json_path, html_path):
                client.log_artifact(run_id, str(path), artifact_path=REPORT_NAME)
        except Exception:
            client.set_terminated(run_id, "FAILED")
            raise
        client.set_terminated(run_id, "FINISHED")
    return run_id


def _tags(report: Mapping[str, Any]) -> dict[str, str]:
    return {f"eval.{_METRIC_NAME.sub('_', name)}.status": model["status"]
            for name, model in report["models"].items()}


def _log_into_active_run(report: Mapping[str, Any], json_path: str | Path,
                         html_path: str | Path, run_name: str) -> str | None:
    tracker = MlflowTracker(True, run_name=run_name)
    tracker.params(_params(report))
    tracker.metrics(evaluation_metrics(report))
    tracker.tags(_tags(report))
    with tempfile.TemporaryDirectory() as folder:  # only the two files, whatever is beside them
        for path in (json_path, html_path):
            shutil.copy2(path, folder)
        tracker.artifacts(folder, REPORT_NAME)
    tracker.close()
    return tracker.run_id
