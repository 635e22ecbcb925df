"""The curation pipeline: rehearsal buffer (from the last model's data) + the new data that
passed quality scoring (``filtered_samples``), rebalanced by generation source -> mix -> split
-> exports, with every dropped sample in ``curation_rejects`` and the counts in a report and
MLflow."""

from __future__ import annotations

from functools import partial, update_wrapper

from kedro.pipeline import Node, Pipeline

from afs.pipelines import stage_pipeline
from afs.pipelines.curation import nodes

SPLITS = ("train", "val", "test")
EXPORT_FORMATS = ("alpaca", "sharegpt", "openai")
SPLIT_DATASETS = [f"{split}_split" for split in SPLITS]
STEP_REJECTS = ["rehearsal_rejects", "rebalance_rejects", "mix_rejects"]


def _export_node(fmt: str) -> Node:
    """``<fmt>_train_export``, ``<fmt>_val_export``, ``<fmt>_test_export`` from the splits."""
    return Node(
        # update_wrapper gives the partial a name and type hints for logs and kedro-viz
        update_wrapper(partial(nodes.export_splits, fmt=fmt), nodes.export_splits),
        inputs=[*SPLIT_DATASETS, "params:curation.export"],
        outputs={split: f"{fmt}_{split}_export" for split in SPLITS},
        name=f"export_{fmt}", tags="export",
    )


def _curation_nodes() -> list[Node]:
    return [
        Node(nodes.build_rehearsal_buffer, ["v1_training", "params:curation.rehearsal"],
             ["rehearsal_buffer", "rehearsal_rejects"], name="build_rehearsal_buffer"),
        Node(nodes.rebalance_new_data, ["filtered_samples", "params:curation.rebalance"],
             ["rebalanced_new_data", "rebalance_rejects", "rebalance_summary"],
             name="rebalance_new_data"),
        Node(nodes.mix_with_rehearsal,
             ["rehearsal_buffer", "rebalanced_new_data", "params:curation.mix"],
             ["mixed_samples", "mix_rejects"], name="mix_rehearsal"),
        Node(nodes.split_samples, ["mixed_samples", "params:curation.split"],
             dict(zip(SPLITS, SPLIT_DATASETS, strict=True)), name="split_samples"),
        *[_export_node(fmt) for fmt in EXPORT_FORMATS],
        Node(nodes.collect_rejects, STEP_REJECTS, "curation_rejects",
             name="collect_rejects", tags="report"),
        Node(nodes.report_curation,
             ["v1_training", "filtered_samples", "rehearsal_buffer", "rebalanced_new_data",
              "rebalance_summary", "mixed_samples", *SPLIT_DATASETS, "params:curation.mix",
              *STEP_REJECTS],
             "curation_report", name="report_curation", tags="report"),
        Node(nodes.curation_metrics, "curation_report", "curation_metrics",
             name="log_curation_metrics", tags="metrics"),
        Node(nodes.plot_domain_mix, "curation_report", "domain_mix_plot",
             name="plot_domain_mix", tags="report"),
    ]


def create_pipeline(**kwargs) -> Pipeline:
    """The curation pipeline (``kedro run --pipelines=curation``)."""
    return stage_pipeline("curation", _curation_nodes())
