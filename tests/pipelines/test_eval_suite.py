"""The shipped eval suite (data/01_raw/eval/eval_suite.jsonl): it loads as the catalog loads
it, every item is well formed and every code answer validates. That every reference answer
passes its own check, as the evaluation judges it, is tested with the checks themselves
(tests/deployment/test_evaluation.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from afs.asm import code_blocks, validate
from afs.datasets import SampleJSONLDataset
from afs.samples.frame import metadata_values

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EVAL_SUITE = PROJECT_ROOT / "data" / "01_raw" / "eval" / "eval_suite.jsonl"
CHECKS = {"asar", "contains", "exact"}


@pytest.fixture(scope="module")
def suite() -> pd.DataFrame:
    frame = SampleJSONLDataset(filepath=str(EVAL_SUITE)).load()
    return frame.assign(eval_id=metadata_values(frame, "eval_id"),
                        check=metadata_values(frame, "check"),
                        expect=metadata_values(frame, "expect", []))


def test_items_are_well_formed(suite):
    assert 25 <= len(suite) <= 40
    assert suite["eval_id"].notna().all() and suite["eval_id"].is_unique
    assert suite["sample_id"].is_unique
    assert set(suite["check"]) == CHECKS
    for column in ("instruction", "output", "domain", "source"):
        assert suite[column].str.strip().str.len().gt(0).all(), column
    contains = suite[suite["check"] == "contains"]
    assert contains["expect"].map(len).gt(0).all()
    exact = suite[suite["check"] == "exact"]
    assert not exact["output"].str.contains("\n").any()


def test_every_code_answer_validates(suite):
    code = suite[suite["check"] == "asar"]
    assert len(code) >= 5
    for eval_id, answer in zip(code["eval_id"], code["output"], strict=True):
        blocks = code_blocks(answer)
        assert blocks, f"{eval_id}: no asm code block in the answer"
        for _, block in blocks:
            result = validate(block)
            assert result.valid, f"{eval_id}: {[str(e) for e in result.errors]}"
            assert not result.warnings, f"{eval_id}: {[str(w) for w in result.warnings]}"
