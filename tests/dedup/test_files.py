"""Streaming dedup of JSONL files (``dedup_files``, ``afs training dedup``) writes exactly
what ``deduplicate`` gives on the inputs read as one frame, locally and on Ray, resumes from
its work folder, and refuses bad input before writing anything."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from afs.errors import DataError
from afs.samples import TrainingSample
from afs.samples.frame import concat_frames, samples_to_frame
from afs.samples.jsonl import read_jsonl_frame, write_jsonl_frame
from afs.dedup.config import DedupConfig
from afs.dedup.clusters import deduplicate
from afs.dedup.files import dedup_files
from afs.samples.keys import leak_keys
from tests.cli.clitools import afs_env, afs_executable
from tests.planted import planted_frame, routine

RAW = Path(__file__).resolve().parents[2] / "data" / "01_raw"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Two JSONL files (shipped samples + planted duplicates, split unevenly) and the
    bytes ``deduplicate`` writes for them read as one frame."""
    folder = tmp_path_factory.mktemp("dedup-files")
    shipped, _ = read_jsonl_frame(RAW / "v1_training.jsonl")
    frame = concat_frames([shipped, planted_frame(bases=150)])
    paths = [folder / "a.jsonl", folder / "b.jsonl"]
    write_jsonl_frame(frame.iloc[:333], paths[0])
    write_jsonl_frame(frame.iloc[333:], paths[1])
    both = concat_frames([read_jsonl_frame(path)[0] for path in paths])
    result = deduplicate(both, DedupConfig())
    write_jsonl_frame(result.kept, folder / "expected.jsonl")
    write_jsonl_frame(result.rejects, folder / "expected.rejects.jsonl")
    assert len(result.rejects) > 50 and len(result.clusters) > 40
    return paths, folder


def assert_same_as_deduplicate(folder: Path, kept: Path, rejects: Path) -> None:
    assert kept.read_bytes() == (folder / "expected.jsonl").read_bytes()
    assert rejects.read_bytes() == (folder / "expected.rejects.jsonl").read_bytes()


def test_local_streaming_dedup_equals_deduplicate_and_resumes(inputs, tmp_path):
    paths, folder = inputs
    kept, rejects = tmp_path / "kept.jsonl", tmp_path / "rejects.jsonl"
    executor = {"shard_rows": 100, "work_dir": str(tmp_path / "work")}
    report = dedup_files(paths, kept, rejects, DedupConfig(), executor)
    assert_same_as_deduplicate(folder, kept, rejects)
    rows = sum(len(read_jsonl_frame(path)[0]) for path in paths)
    assert report.shards == -(-rows // 100)  # shards run across the files' boundary
    assert not report.shards_reused and not report.labels_reused
    assert report.kept + report.rejected == report.rows == rows > report.kept
    assert set(report.reasons) == {"duplicate_of", "near_duplicate_of"}
    again = dedup_files(paths, kept, rejects, DedupConfig(), executor)
    assert again.shards_reused and again.labels_reused
    assert_same_as_deduplicate(folder, kept, rejects)
    # other settings: the shards are reused, the clusters are computed again
    exact_only = dedup_files(paths, tmp_path / "exact.jsonl", tmp_path / "exact.rejects.jsonl",
                             DedupConfig(near=False), executor)
    assert exact_only.shards_reused and not exact_only.labels_reused
    assert set(exact_only.reasons) == {"duplicate_of"}
    distinct = leak_keys(concat_frames([read_jsonl_frame(path)[0] for path in paths])).nunique()
    assert exact_only.rejected == rows - distinct


def test_changed_inputs_are_sharded_again(inputs, tmp_path):
    paths, _ = inputs
    executor = {"shard_rows": 1000, "work_dir": str(tmp_path / "work")}
    first = tmp_path / "first.jsonl"
    first.write_bytes(paths[0].read_bytes())
    dedup_files([first], tmp_path / "k.jsonl", tmp_path / "r.jsonl", executor=executor)
    first.write_bytes(paths[0].read_bytes() + paths[0].read_bytes())  # every row twice
    report = dedup_files([first], tmp_path / "k.jsonl", tmp_path / "r.jsonl", executor=executor)
    assert not report.shards_reused and report.rows == 666
    assert report.reasons["duplicate_of"] >= 333


def test_bad_line_is_named_and_nothing_is_written(inputs, tmp_path):
    paths, _ = inputs
    bad = tmp_path / "bad.jsonl"
    lines = paths[0].read_text(encoding="utf-8").splitlines(True)
    bad.write_text("".join(lines[:4]) + "{not json\n" + "".join(lines[4:]), encoding="utf-8")
    kept = tmp_path / "kept.jsonl"
    with pytest.raises(DataError) as error:
        dedup_files([paths[1], bad], kept, tmp_path / "rejects.jsonl")
    assert "bad.jsonl" in str(error.value) and ":5" in str(error.value)
    assert not kept.exists() and not (tmp_path / "rejects.jsonl").exists()


def test_no_duplicates_means_no_rejects_file(tmp_path):
    source = tmp_path / "unique.jsonl"
    write_jsonl_frame(samples_to_frame([TrainingSample(f"q{i}", routine(i)) for i in range(5)]),
                      source)
    report = dedup_files([source], tmp_path / "kept.jsonl", tmp_path / "rejects.jsonl")
    assert report.kept == 5 and report.rejected == 0 and report.clusters == 0
    assert (tmp_path / "kept.jsonl").read_bytes() == source.read_bytes()
    assert not (tmp_path / "rejects.jsonl").exists()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(DataError, match="empty.jsonl: empty input"):
        dedup_files([empty], tmp_path / "none.jsonl", tmp_path / "none.rejects.jsonl")
    report = dedup_files([empty], tmp_path / "none.jsonl", tmp_path / "none.rejects.jsonl",
                         allow_empty=True)
    assert report.rows == 0 and (tmp_path / "none.jsonl").read_bytes() == b""


def test_cli_dedup_writes_what_deduplicate_writes(inputs, tmp_path):
    paths, folder = inputs
    command = [str(afs_executable()), "training", "dedup", "--input", str(paths[0]),
               "--input", str(paths[1]), "--output", "kept.jsonl", "--shard-rows", "200",
               "--work-dir", "work"]
    first = subprocess.run(command, cwd=tmp_path, env=afs_env(tmp_path), capture_output=True,
                           text=True, timeout=300, check=False)
    assert first.returncode == 0, first.stderr
    assert_same_as_deduplicate(folder, tmp_path / "kept.jsonl", tmp_path / "kept.rejects.jsonl")
    rows = sum(len(read_jsonl_frame(path)[0]) for path in paths)
    assert first.stdout.startswith(f"dedup: 2 inputs, {rows} samples -> ")
    assert "near_duplicate_of x" in first.stdout and "(resumed)" not in first.stdout
    again = subprocess.run(command, cwd=tmp_path, env=afs_env(tmp_path), capture_output=True,
                           text=True, timeout=300, check=False)
    assert again.returncode == 0 and "(resumed)" in again.stdout
    missing = subprocess.run([*command[:3], "--input", "nope.jsonl", "--output", "x.jsonl"],
                             cwd=tmp_path, env=afs_env(tmp_path), capture_output=True,
                             text=True, timeout=300, check=False)
    assert missing.returncode == 1 and "nope.jsonl: no such file" in missing.stderr


def test_ray_streaming_dedup_equals_local(ray_cluster, inputs, tmp_path):
    paths, folder = inputs
    executor = {"kind": "ray", "num_workers": 2, "shard_rows": 150, "batch_size": 64,
                "work_dir": str(tmp_path / "work")}
    report = dedup_files(paths, tmp_path / "kept.jsonl", tmp_path / "rejects.jsonl",
                         DedupConfig(), executor)
    assert report.shards == -(-report.rows // 150)
    assert_same_as_deduplicate(folder, tmp_path / "kept.jsonl", tmp_path / "rejects.jsonl")
