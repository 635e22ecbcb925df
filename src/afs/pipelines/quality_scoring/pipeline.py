"""The quality_scoring pipeline: raw samples -> scores -> dedup -> drop what the last model
already saw -> drop what overlaps the eval suite -> filter, with every dropped sample and its
reason kept, a report and MLflow metrics and an HTML report."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from afs.pipelines import stage_pipeline
from afs.pipelines.quality_scoring import nodes

PARAMS = "params:quality_scoring"
STEP_REJECTS = ["dedup_rejects", "reference_rejects", "decontamination_rejects",
                "filter_rejects"]


def create_pipeline(**kwargs) -> Pipeline:
    """The quality_scoring pipeline (``kedro run --pipelines=quality_scoring``)."""
    return stage_pipeline("quality_scoring", [
        Node(nodes.score_samples, ["raw_samples", PARAMS], "scored_samples",
             name="score_samples"),
        Node(nodes.deduplicate_samples, ["scored_samples", PARAMS],
             ["deduplicated_samples", "dedup_rejects"], name="deduplicate_samples"),
        Node(nodes.drop_seen_samples, ["deduplicated_samples", "v1_training", PARAMS],
             ["unseen_samples", "reference_rejects"], name="drop_seen_samples"),
        Node(nodes.decontaminate_samples, ["unseen_samples", "eval_suite", PARAMS],
             ["decontaminated_samples", "decontamination_rejects"],
             name="decontaminate_samples"),
        Node(nodes.filter_samples, ["decontaminated_samples", PARAMS],
             ["passed_samples", "filter_rejects"], name="filter_samples"),
        # the kept file and every reject are published by one node, as one unit (output_set)
        Node(nodes.publish_kept_and_rejects, ["passed_samples", *STEP_REJECTS],
             ["filtered_samples", "quality_rejects"], name="publish_kept_and_rejects"),
        Node(nodes.report_quality,
             ["raw_samples", "scored_samples", "filtered_samples", *STEP_REJECTS],
             "quality_report", name="report_quality", tags="report"),
        Node(nodes.quality_metrics, "quality_report", "quality_metrics",
             name="log_quality_metrics", tags="metrics"),
        Node(nodes.write_quality_html,
             ["scored_samples", "filtered_samples", "quality_report", PARAMS, *STEP_REJECTS],
             "quality_report_html", name="write_quality_html", tags="report"),
    ])
