"""One home for the step bookkeeping: reason codes, reject counts, the MLflow metric shape and
the default rejects file, shared by every step, report and command."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from afs.samples.reasons import reason_code, reason_counts, rejects_path_beside
from afs.samples.rejects import reject_counts
from afs.tracking import flatten_numbers, metric_history


def test_a_reason_code_is_the_text_before_the_first_colon():
    assert reason_code("near_duplicate_of:abc:def") == "near_duplicate_of"
    assert reason_code("unscored") == "unscored"
    assert reason_counts(["low_quality:0.42<0.6", "low_quality:0.1<0.6", "unscored"]) == \
        {"low_quality": 2, "unscored": 1}


def test_reject_counts_list_the_named_steps_first_with_zeros():
    rejects = pd.DataFrame({"reject_step": ["quality_filter", "dedup", "extra"],
                            "reject_reason": ["low_quality:0.1<0.6", "duplicate_of:x", "why"]})
    counts = reject_counts(rejects, ("dedup", "decontamination", "quality_filter"))
    assert counts == {"total": 3,
                      "step": {"dedup": 1, "decontamination": 0, "quality_filter": 1, "extra": 1},
                      "reason": {"duplicate_of": 1, "low_quality": 1, "why": 1}}
    assert list(counts["step"]) == ["dedup", "decontamination", "quality_filter", "extra"]
    assert reject_counts(rejects.iloc[:0]) == {"total": 0, "step": {}, "reason": {}}


def test_both_pipeline_reports_count_rejects_the_same_way():
    from afs.pipelines.curation.report import curation_report
    from afs.pipelines.quality_scoring.nodes import report_quality

    assert curation_report.__globals__["reject_counts"] is reject_counts
    assert report_quality.__globals__["reject_counts"] is reject_counts


def test_metrics_are_flat_finite_numbers_at_step_0():
    flat = flatten_numbers({"rejects": {"total": 2, "step": {"dedup": 2}}, "name": "x",
                            "ok": True, "score": 0.5})
    assert flat == {"rejects.total": 2.0, "rejects.step.dedup": 2.0, "score": 0.5}
    assert metric_history({**flat, "bad": math.nan, "worse": math.inf}) == {
        "rejects.total": {"value": 2.0, "step": 0},
        "rejects.step.dedup": {"value": 2.0, "step": 0},
        "score": {"value": 0.5, "step": 0}}


def test_the_default_rejects_file_sits_beside_the_output():
    assert rejects_path_beside(Path("out/train.jsonl")) == Path("out/train.rejects.jsonl")
    assert rejects_path_beside("out/data.json") == Path("out/data.json.rejects.jsonl")
