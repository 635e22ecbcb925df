"""Reading and setting one ``_metadata`` key across a table of samples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from afs.samples.frame import metadata_values, with_metadata
from afs.samples.jsonl import read_jsonl_frame, write_jsonl_frame

from .helpers import make_frame


@pytest.fixture
def frame() -> pd.DataFrame:
    return make_frame(4)  # odd rows carry {"index": i}, even rows no metadata


def test_one_value_for_every_row_keeps_the_other_keys_and_the_input(frame):
    before = frame.copy()
    stamped = with_metadata(frame, "origin", "oracle")
    assert metadata_values(stamped, "origin").tolist() == ["oracle"] * 4
    assert metadata_values(stamped, "index").tolist() == [None, 1, None, 3]
    pd.testing.assert_frame_equal(frame, before)  # a copy: the input is untouched
    assert stamped["_metadata"].dtype == frame["_metadata"].dtype


def test_one_value_per_row_at_given_positions(frame):
    stamped = with_metadata(frame, "dup_cluster", np.array([7, 9]), rows=np.array([0, 3]))
    assert metadata_values(stamped, "dup_cluster", default=-1).tolist() == [7, -1, -1, 9]
    assert metadata_values(stamped, "index").tolist() == [None, 1, None, 3]
    per_row = with_metadata(frame, "origin", pd.Series(list("abcd")))
    assert metadata_values(per_row, "origin").tolist() == list("abcd")


def test_value_count_must_match_the_rows(frame):
    with pytest.raises(ValueError, match="3 values for 2 rows"):
        with_metadata(frame, "origin", ["a", "b", "c"], rows=np.array([0, 1]))


def test_missing_metadata_in_any_spelling_reads_as_the_default():
    frame = make_frame(3).assign(_metadata=[None, "None", ""])
    assert metadata_values(frame, "origin", default="unknown").tolist() == ["unknown"] * 3
    assert metadata_values(with_metadata(frame, "origin", "memory"), "origin").tolist() == \
        ["memory"] * 3


def test_values_keep_the_frame_index_and_survive_a_jsonl_round_trip(frame, tmp_path):
    stamped = with_metadata(frame, "origin", "history").set_index(pd.Index([10, 11, 12, 13]))
    assert metadata_values(stamped, "origin").index.tolist() == [10, 11, 12, 13]
    loaded, _ = read_jsonl_frame(write_jsonl_frame(stamped, tmp_path / "s.jsonl"))
    assert metadata_values(loaded, "origin").tolist() == ["history"] * 4
