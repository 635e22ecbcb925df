"""Synthetic 65816 samples: deterministic, canonical, asar-shaped, and the shipped data is
exactly what scripts/make_sample_data.py produces."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import orjson
import pandas as pd
import pytest

from afs.generators.synthetic import (
    DOMAINS,
    MAX_ROUTINE_LINES,
    MIN_ROUTINE_LINES,
    SOURCES,
    synthetic_samples,
)
from afs.samples.frame import FRAME_COLUMNS
from afs.samples.jsonl import read_jsonl_frame, write_jsonl_frame

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LABEL_LINE = re.compile(r"^[A-Z][A-Za-z]*(_[A-Za-z]+)+:  ; \$[0-9A-F]{6}$")
INSTRUCTION_LINE = re.compile(r"^  (;|[A-Z]{3}(\.[bwl])? ?|CLC|SEC|PHB)")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthetic_samples(2_000, seed=7)


def test_same_seed_same_frame_other_seed_other_frame(frame):
    pd.testing.assert_frame_equal(synthetic_samples(2_000, seed=7), frame)
    assert not synthetic_samples(2_000, seed=8)["output"].equals(frame["output"])


def test_frame_is_canonical_with_unique_ids(frame):
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert frame["sample_id"].is_unique
    assert set(frame["domain"]) == set(DOMAINS)
    assert set(frame["source"]) == set(SOURCES)
    assert frame["quality_score"].between(0, 1).all()
    assert 0.2 < frame["thinking"].notna().mean() < 0.4
    metadata = frame["_metadata"].dropna()
    assert 0.3 < len(metadata) / len(frame) < 0.5
    assert all("file" in orjson.loads(text) for text in metadata)


def test_routines_look_like_asar_code(frame):
    routines = frame.loc[frame["domain"] == "asm", "output"]
    for routine in routines:
        lines = routine.split("\n")
        assert MIN_ROUTINE_LINES <= len(lines) <= MAX_ROUTINE_LINES
        assert LABEL_LINE.match(lines[0]), lines[0]
        assert lines[-1] in ("  RTS", "  RTL")
        body = lines[1:-1]
        branches = any(".return" in line for line in body if line != ".return")
        assert (".return" in body) == branches  # a branch target exists iff something branches
        assert all(INSTRUCTION_LINE.match(line) for line in body if line != ".return")
    text = "\n".join(routines)
    for idiom in ("LDA.b $F0", "STA.w $0DD0,X", "JSL ", "REP #$20", "SEP #$30", "  ; "):
        assert idiom in text


def test_domains_sources_and_start_are_honoured():
    first = synthetic_samples(100, seed=1, domains=("memory",), sources=("agent_memory",))
    second = synthetic_samples(100, seed=1, domains=("memory",), start=100)
    assert set(first["domain"]) == {"memory"}
    assert set(first["source"]) == {"agent_memory"}
    assert not set(first["sample_id"]) & set(second["sample_id"])


def test_jsonl_round_trip_is_loss_free(tmp_path, frame):
    path = write_jsonl_frame(frame, tmp_path / "synthetic.jsonl")
    loaded, report = read_jsonl_frame(path)
    assert report.skipped == 0
    pd.testing.assert_frame_equal(loaded, frame)


def test_shipped_raw_data_is_what_the_script_makes(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "make_sample_data", PROJECT_ROOT / "scripts" / "make_sample_data.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for path in script.make_sample_data(tmp_path):
        shipped = PROJECT_ROOT / "data" / "01_raw" / path.relative_to(tmp_path)
        assert path.read_bytes() == shipped.read_bytes(), f"{shipped} differs: rerun the script"
