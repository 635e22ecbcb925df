"""A kept file and its rejects file, in different folders, are committed as one unit: a real
`afs` command SIGKILLed at each step of the commit leaves, for every reader, the whole old
pair or the whole new pair, and the next run leaves no temporary or journal behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

from afs.jsonl_input import iter_json_lines
from afs.samples import read_jsonl_frame, save_jsonl

from .clitools import afs_env, afs_executable, make_samples

KEPT, REJECTS = "out/kept.jsonl", "rejects/dropped.jsonl"
CATALOG = Path(__file__).resolve().parents[2] / "conf" / "base" / "catalog.yml"


def dedup_inputs(folder: Path) -> None:
    for name, prefix, dups in (("a.jsonl", "a", 10), ("b.jsonl", "b", 5)):
        samples = make_samples(30, prefix=prefix)
        save_jsonl(samples + samples[:dups], folder / name)


def filter_inputs(folder: Path) -> None:
    save_jsonl(make_samples(40), folder / "scored.jsonl")


def rebalance_inputs(folder: Path) -> None:
    save_jsonl(make_samples(40, prefix="a"), folder / "a.jsonl")
    save_jsonl(make_samples(20, prefix="b"), folder / "b.jsonl")


# command: (make its inputs, arguments of the old run, arguments of the new run)
CASES = {
    "dedup": (dedup_inputs,
              ["training", "dedup", "--exact-only", "--input", "a.jsonl",
               "--output", KEPT, "--rejects", REJECTS],
              ["training", "dedup", "--exact-only", "--input", "b.jsonl",
               "--output", KEPT, "--rejects", REJECTS]),
    "filter": (filter_inputs,
               ["discriminator", "filter", "--input", "scored.jsonl", "--keep-invalid-asm",
                "--output", KEPT, "--rejected", REJECTS, "--min-score", "0.5"],
               ["discriminator", "filter", "--input", "scored.jsonl", "--keep-invalid-asm",
                "--output", KEPT, "--rejected", REJECTS, "--min-score", "0.3"]),
    "rebalance": (rebalance_inputs,
                  ["training", "rebalance", "--input", "a.jsonl", "--input", "b.jsonl",
                   "--weight", "a=1", "--weight", "b=1", "--seed", "1",
                   "--output", KEPT, "--rejects", REJECTS],
                  ["training", "rebalance", "--input", "a.jsonl", "--input", "b.jsonl",
                   "--weight", "a=1", "--weight", "b=1", "--seed", "2",
                   "--output", KEPT, "--rejects", REJECTS]),
}
# where the kill comes -> which pair every reader must see afterwards
KILL_POINTS = {
    "outputs:staged": "old",                        # both written, no journal yet
    "outputs:journal:kept.jsonl": "old",            # a journal, but not the last (commit point)
    "outputs:renamed:kept.jsonl": "new",            # committed, between the two renames
    "outputs:renamed:dropped.jsonl": "new",         # both renamed, journals still there
}


def run(folder: Path, args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(afs_executable()), *args], cwd=folder,
                          env={**afs_env(folder), **env}, capture_output=True, text=True,
                          timeout=120)


def pair_bytes(folder: Path) -> tuple[bytes, bytes]:
    return (folder / KEPT).read_bytes(), (folder / REJECTS).read_bytes()


_PAIRS: dict[str, dict[str, tuple[bytes, bytes]]] = {}


@pytest.fixture
def pairs(tmp_path_factory):
    """The old and the new pair of each command, made once by real runs."""

    def made(command: str) -> dict[str, tuple[bytes, bytes]]:
        if command not in _PAIRS:
            folder = tmp_path_factory.mktemp(command)
            make_inputs, old_args, new_args = CASES[command]
            make_inputs(folder)
            found = {}
            for which, args in (("old", old_args), ("new", new_args)):
                result = run(folder, args)
                assert result.returncode == 0, result.stderr
                found[which] = pair_bytes(folder)
            assert found["old"][0] != found["new"][0] and found["old"][1] != found["new"][1]
            _PAIRS[command] = found
        return _PAIRS[command]

    return made


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for where in ("out", "rejects") for p in (folder / where).iterdir()
                  if p.name.startswith("."))


def read_ids(path: Path) -> list[str]:
    frame, _ = read_jsonl_frame(path, allow_empty=True)
    return frame["sample_id"].tolist()


@pytest.mark.parametrize("command", CASES)
@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_killed_run_leaves_the_old_pair_or_the_new_one(command, point, pairs, tmp_path):
    expected = pairs(command)[KILL_POINTS[point]]
    make_inputs, _, new_args = CASES[command]
    make_inputs(tmp_path)
    for path, data in zip((KEPT, REJECTS), pairs(command)["old"]):
        (tmp_path / path).parent.mkdir(exist_ok=True)
        (tmp_path / path).write_bytes(data)

    killed = run(tmp_path, new_args, AFS_KILL_AT=point)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if point == "outputs:renamed:kept.jsonl":  # on disk a mix, until a reader finishes the set
        assert pair_bytes(tmp_path) == (pairs(command)["new"][0], pairs(command)["old"][1])
    # a reader of either file sees the same whole pair: the rejects file is read first here
    rejected_ids, kept_ids = read_ids(tmp_path / REJECTS), read_ids(tmp_path / KEPT)
    assert pair_bytes(tmp_path) == expected
    expected_ids = [read_ids_of(data, tmp_path / "expected.jsonl") for data in expected]
    assert [kept_ids, rejected_ids] == expected_ids

    again = run(tmp_path, new_args)

    assert again.returncode == 0, again.stderr
    assert pair_bytes(tmp_path) == pairs(command)["new"]
    assert leftovers(tmp_path) == []


def read_ids_of(data: bytes, scratch: Path) -> list[str]:
    scratch.write_bytes(data)
    return read_ids(scratch)


def test_a_run_without_rejects_removes_the_old_rejects_file(tmp_path):
    """The rejects file of an earlier run does not belong beside a new output that rejected
    nothing: it goes, in the same commit."""
    rebalance_inputs(tmp_path)
    assert run(tmp_path, CASES["rebalance"][2]).returncode == 0
    assert (tmp_path / REJECTS).exists()

    result = run(tmp_path, ["training", "rebalance", "--input", "a.jsonl", "--input", "b.jsonl",
                            "--weight", "a=2", "--weight", "b=1", "--output", KEPT,
                            "--rejects", REJECTS])

    assert result.returncode == 0, result.stderr
    assert len(read_ids(tmp_path / KEPT)) == 60
    assert not (tmp_path / REJECTS).exists()
    assert leftovers(tmp_path) == []


# A Kedro node's two outputs in two folders (mixed_samples and mix_rejects), each saved by
# its catalog type with the output_set the catalog gives them.
SAVE_NODE_OUTPUTS = textwrap.dedent("""
    import sys
    import pandas as pd
    from afs.datasets import ParquetDataset
    kept, rejects, value = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for path in (kept, rejects):
        dataset = ParquetDataset(filepath=path, output_set=[kept, rejects])
        dataset.save(pd.DataFrame({"value": [value] * 1000}))
""")


def save_node_outputs(kept: Path, rejects: Path, value: int, **env: str):
    return subprocess.run([sys.executable, "-c", SAVE_NODE_OUTPUTS, str(kept), str(rejects),
                           str(value)], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize(("point", "expected"), [
    ("wrote:mixed_samples.parquet", 1),         # one output saved, not the other
    ("outputs:staged", 1),                      # both saved, not committed
    ("outputs:renamed:mix_rejects.parquet", 2),  # committed, between the two renames
])
def test_a_kedro_node_killed_mid_save_leaves_both_outputs_old_or_both_new(point, expected,
                                                                           tmp_path):
    from afs.datasets import ParquetDataset

    kept = tmp_path / "03_primary" / "mixed_samples.parquet"
    rejects = tmp_path / "02_intermediate" / "mix_rejects.parquet"
    assert save_node_outputs(kept, rejects, 1).returncode == 0

    killed = save_node_outputs(kept, rejects, 2, AFS_KILL_AT=point)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    loaded = [set(ParquetDataset(filepath=str(path)).load()["value"]) for path in (kept, rejects)]
    assert loaded == [{expected}, {expected}]
    assert save_node_outputs(kept, rejects, 3).returncode == 0
    assert {v for path in (kept, rejects) for v in pd.read_parquet(path)["value"]} == {3}
    assert [p.name for p in tmp_path.rglob(".*")] == []


def test_the_catalog_declares_each_nodes_kept_and_rejects_as_one_set():
    catalog = yaml.safe_load(CATALOG.read_text())
    pairs = (("mixed_samples", "mix_rejects"), ("filtered_samples", "quality_rejects"))
    for kept, rejects in pairs:
        paths = {catalog[kept]["filepath"], catalog[rejects]["filepath"]}
        assert set(catalog[kept]["output_set"]) == set(catalog[rejects]["output_set"]) == paths


def test_convert_skipping_bad_lines_commits_its_output_and_skipped_lines_as_one_unit(tmp_path):
    save_jsonl(make_samples(20), tmp_path / "in.jsonl")
    lines = (tmp_path / "in.jsonl").read_bytes().splitlines(keepends=True)
    (tmp_path / "old.jsonl").write_bytes(b"".join(lines[:10]) + b"{bad\n")
    (tmp_path / "new.jsonl").write_bytes(b"".join(lines) + b"{worse\n[\n")
    args = ["training", "convert", "--format", "alpaca", "--on-error", "skip",
            "--output", KEPT, "--rejects", REJECTS]
    assert run(tmp_path, [*args, "--input", "new.jsonl"]).returncode == 0
    new = pair_bytes(tmp_path)
    assert run(tmp_path, [*args, "--input", "old.jsonl"]).returncode == 0

    killed = run(tmp_path, [*args, "--input", "new.jsonl"],
                 AFS_KILL_AT="outputs:renamed:kept.jsonl")

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    skipped = [record["raw"] for _, record in iter_json_lines(tmp_path / REJECTS)]
    assert skipped == ["{worse", "["]  # the reader finished the new pair
    assert pair_bytes(tmp_path) == new
    assert run(tmp_path, [*args, "--input", "old.jsonl"]).returncode == 0
    assert leftovers(tmp_path) == []


def memory_folder(folder: Path, answer: str) -> None:
    """Memory entries with one bad line, so that an export writes samples and rejects."""
    (folder / "memory").mkdir(parents=True, exist_ok=True)
    (folder / "memory" / "notes.jsonl").write_text(
        f'{{"instruction": "What is $2100?", "output": "{answer}"}}\n'
        f'{{"instruction": "broken {answer}"\n')


@pytest.mark.parametrize("point,which", [("outputs:staged", "old"),
                                         ("outputs:renamed:kept.jsonl", "new")])
def test_a_killed_memory_export_leaves_the_old_pair_or_the_new_one(point, which, tmp_path):
    args = ["training", "memory-export", "--memory-root", "memory", "--output", KEPT,
            "--rejects", REJECTS]
    found = {}
    for run_name, answer in (("old", "INIDISP"), ("new", "screen display")):
        memory_folder(tmp_path, answer)
        assert run(tmp_path, args).returncode == 0
        found[run_name] = pair_bytes(tmp_path)
    assert found["old"][1] != found["new"][1]  # bad lines of other lengths: other errors
    memory_folder(tmp_path, "INIDISP")
    assert run(tmp_path, args).returncode == 0
    memory_folder(tmp_path, "screen display")

    killed = run(tmp_path, args, AFS_KILL_AT=point)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    list(iter_json_lines(tmp_path / REJECTS))  # any afs reader sees (and leaves) a whole pair
    assert pair_bytes(tmp_path) == found[which]
    assert run(tmp_path, args).returncode == 0
    assert pair_bytes(tmp_path) == found["new"] and leftovers(tmp_path) == []
