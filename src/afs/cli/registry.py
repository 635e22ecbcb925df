"""`afs training registry-create|registry-list|registry-info`: the experiment registry.

Registered on the `afs training` group (see ``REGISTRY_COMMANDS`` in ``afs.cli.training``).
Each command calls one function of ``afs.registry.experiments`` (imported inside the command, so
`afs --help` never imports MLflow) and only formats what it returns.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import click

from afs.cli.options import UserPath, echo_summary
from afs.cli.tables import echo_table

NO_VALUE = "-"


def tracking_uri_option(func):
    return click.option(
        "--tracking-uri", default=None, metavar="URI",
        help="MLflow store [default: $MLFLOW_TRACKING_URI, else server.mlflow_tracking_uri of "
             "the Kedro project's conf/*/mlflow.yml, else sqlite:///mlflow.db here].")(func)


def json_option(func):
    return click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON document instead of text.")(func)


@click.command("registry-create")
@click.option("--name", required=True,
              help="Unique name of the experiment, e.g. majora-v2-baseline.")
@click.option("--model", "base_model", required=True,
              help="Base model: a hub id, a local path, or `tiny`.")
@click.option("--framework", default="peft", show_default=True,
              help="Training framework, e.g. peft or unsloth.")
@click.option("--dataset", type=UserPath(), required=True,
              help="Training data file; its sha256 and row count are recorded.")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="A tag; repeat for several.")
@click.option("--notes", default="", help="Free text, shown as the MLflow run's description.")
@tracking_uri_option
def registry_create(name: str, base_model: str, framework: str, dataset: Path,
                    tags: tuple[str, ...], notes: str, tracking_uri: str | None) -> None:
    """Register a training experiment in the project's MLflow store (experiment afs-registry)."""
    from afs.registry.experiments import create_experiment

    entry = create_experiment(name, base_model, dataset, framework=framework, tags=tags,
                              notes=notes, tracking_uri=tracking_uri)
    echo_summary(f"{entry.name} (run {entry.run_id}, dataset {_rows(entry.dataset.rows)} rows, "
                 f"sha256 {entry.dataset.sha256[:12]}) -> {entry.tracking_uri}")


@click.command("registry-list")
@json_option
@tracking_uri_option
def registry_list(as_json: bool, tracking_uri: str | None) -> None:
    """List registered experiments, oldest first."""
    from afs.registry.experiments import list_experiments

    entries = list_experiments(tracking_uri)
    if as_json:
        click.echo(json.dumps([entry.to_dict() for entry in entries], indent=2))
        return
    if not entries:
        from afs.registry.store import resolve_tracking_uri

        echo_summary(f"no experiments registered in {resolve_tracking_uri(tracking_uri)}")
        return
    rows = [(e.name, e.base_model, e.framework, _rows(e.dataset.rows), ",".join(e.tags) or NO_VALUE,
             e.created) for e in entries]
    echo_table(("NAME", "MODEL", "FRAMEWORK", "ROWS", "TAGS", "CREATED"), rows, right=("ROWS",))


@click.command("registry-info")
@click.argument("name")
@json_option
@tracking_uri_option
def registry_info(name: str, as_json: bool, tracking_uri: str | None) -> None:
    """Show one experiment: params, metrics, dataset hash, artifacts, lineage."""
    from afs.registry.experiments import experiment_info

    info = experiment_info(name, tracking_uri)
    if as_json:
        click.echo(json.dumps(info.to_dict(), indent=2))
        return
    for line in info_lines(info):
        click.echo(line)


def info_lines(info) -> list[str]:
    """``registry-info``'s text: the entry, its dataset, params, metrics, artifacts, lineage.

    Label-and-value lines, not a table: the labels are fixed ASCII words padded by hand, and
    the values (paths, hashes, run ids) must stay whole on one line to be copied, which a
    rich table would wrap on a narrow terminal."""
    entry, lineage = info.experiment, info.lineage
    lines = [f"name:       {entry.name}",
             f"run:        {entry.run_id} (experiment afs-registry in {entry.tracking_uri})",
             f"model:      {entry.base_model}",
             f"framework:  {entry.framework}",
             f"created:    {entry.created}",
             f"tags:       {', '.join(entry.tags) or NO_VALUE}",
             f"notes:      {entry.notes or NO_VALUE}",
             f"dataset:    {entry.dataset.path} ({_rows(entry.dataset.rows)} rows, "
             f"{entry.dataset.bytes} bytes)",
             f"sha256:     {entry.dataset.sha256}"]
    lines += _mapping_lines("params", info.params)
    lines += _mapping_lines("metrics", info.metrics)
    lines += _list_lines("artifacts", info.artifacts)
    lines += ["lineage:",
              f"  dataset  {lineage.dataset} (sha256 {lineage.dataset_sha256[:12]})",
              f"  adapter  {_link(lineage.adapter, lineage.adapter_run)}",
              f"  gguf     {_link(lineage.gguf, lineage.gguf_run)}",
              f"  model    {_model(info.registered_model)}"]
    for linked in info.linked_runs:
        lines.append(f"{linked.role} run {linked.run_id}: {linked.error or linked.status}")
        lines += [f"  {line}" for line in _mapping_lines("metrics", linked.metrics)]
        lines += [f"  {line}" for line in _list_lines("artifacts", linked.artifacts)]
    return lines


def _model(ref) -> str:
    if ref is None:
        return "(not registered yet)"
    if ref.error:
        return f"{ref.reference} ({ref.error})"
    return f"{ref.reference} ({ref.status}, source {ref.source})"


def _link(path: str | None, run_id: str | None) -> str:
    if not path and not run_id:
        return "(not produced yet)"
    return " ".join(part for part in (path, f"(run {run_id})" if run_id else None) if part)


def _mapping_lines(title: str, values: dict) -> list[str]:
    if not values:
        return [f"{title + ':':<11} {NO_VALUE}"]
    return [f"{title}:"] + [f"  {key} = {values[key]}" for key in sorted(values)]


def _list_lines(title: str, values: Sequence[str]) -> list[str]:
    if not values:
        return [f"{title + ':':<11} {NO_VALUE}"]
    return [f"{title}:"] + [f"  {value}" for value in values]


def _rows(rows: int | None) -> str:
    return "?" if rows is None else str(rows)
