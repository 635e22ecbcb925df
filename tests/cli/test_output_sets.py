"""An output made of several files is committed as one unit: a real `afs training prepare`
(and a real process saving Kedro datasets of a file set) killed mid-set leaves the old set or
the new one, never a mix, and the next run removes what the killed one left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd

from afs.atomic_dir import atomic_directory, atomic_write, remove_stale_temporaries

SPLITS = ("train.jsonl", "val.jsonl", "test.jsonl")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def leftovers(folder: Path) -> list[str]:
    """Hidden temporaries beside or inside ``folder``."""
    return sorted(p.name for where in (folder.parent, folder) for p in where.iterdir()
                  if p.name.startswith("."))


def prepare(afs, seed: int, **env: str):
    return afs("training", "prepare", "--input", "in.jsonl", "--output", "splits",
               "--seed", str(seed), **env)


def test_prepare_killed_mid_set_leaves_the_old_splits(afs, write_samples, tmp_path):
    write_samples("in.jsonl", 400)
    assert prepare(afs, 1).returncode == 0
    (tmp_path / "splits" / "NOTES.md").write_text("mine")  # a user file in the folder
    old = snapshot(tmp_path / "splits")

    killed = prepare(afs, 2, AFS_KILL_AT="wrote:val.jsonl")  # train and val written, not test

    assert killed.returncode == -signal.SIGKILL
    assert snapshot(tmp_path / "splits") == old
    assert prepare(afs, 2).returncode == 0
    new = snapshot(tmp_path / "splits")
    assert new["train.jsonl"] != old["train.jsonl"] and new["NOTES.md"] == b"mine"
    assert leftovers(tmp_path / "splits") == []  # the killed run's staging folder is gone


def test_prepare_killed_after_the_swap_leaves_the_new_splits(afs, write_samples, tmp_path):
    write_samples("in.jsonl", 400)
    assert prepare(afs, 1).returncode == 0
    assert prepare(afs, 2).returncode == 0
    new = snapshot(tmp_path / "splits")
    assert prepare(afs, 1).returncode == 0

    killed = prepare(afs, 2, AFS_KILL_AT="installed:splits")  # before the old set is removed

    assert killed.returncode == -signal.SIGKILL
    assert snapshot(tmp_path / "splits") == new
    assert leftovers(tmp_path / "splits")  # the old set, set aside
    assert prepare(afs, 2).returncode == 0
    assert leftovers(tmp_path / "splits") == []


SAVE_SET = textwrap.dedent("""
    import sys
    import pandas as pd
    from afs.datasets import ParquetDataset
    folder, value = sys.argv[1], int(sys.argv[2])
    for name in ("kept", "rejects"):
        dataset = ParquetDataset(filepath=f"{folder}/{name}.parquet",
                                 file_set=["kept.parquet", "rejects.parquet"])
        dataset.save(pd.DataFrame({"value": [value] * 1000}))
""")


def save_set(folder: Path, value: int, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SAVE_SET, str(folder), str(value)],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=60)


def values(folder: Path) -> set[int]:
    return {int(v) for name in ("kept", "rejects")
            for v in pd.read_parquet(folder / f"{name}.parquet")["value"]}


def test_a_kedro_file_set_appears_only_when_its_last_file_is_saved(tmp_path):
    folder = tmp_path / "04_feature"
    assert save_set(folder, 1).returncode == 0
    (folder / "scored.parquet").write_bytes(b"another dataset's file")

    killed = save_set(folder, 2, AFS_KILL_AT="wrote:kept.parquet")

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert values(folder) == {1}
    assert save_set(folder, 2).returncode == 0
    assert values(folder) == {2}
    assert (folder / "scored.parquet").read_bytes() == b"another dataset's file"
    assert leftovers(folder) == []


def test_temporaries_of_a_dead_writer_are_removed_and_a_live_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid, live_pid = int(dead.stdout), os.getppid()
    stale = tmp_path / f".out.jsonl.tmp-{dead_pid}-abc.tmp"
    busy = tmp_path / f".out.jsonl.tmp-{live_pid}-abc.tmp"
    stale_dir = tmp_path / f".model.tmp-{dead_pid}-xyz"
    for path in (stale, busy):
        path.write_text("partial")
    stale_dir.mkdir()

    with atomic_write(tmp_path / "out.jsonl") as handle:
        handle.write(b"{}\n")
    with atomic_directory(tmp_path / "model") as staging:
        (staging / "weights").write_text("w")

    assert not stale.exists() and not stale_dir.exists()
    assert busy.exists()


def test_a_folder_set_aside_by_a_killed_swap_is_put_back(tmp_path):
    """Where the filesystem cannot swap two folders in one step, the old folder is renamed
    aside first; the next writer puts it back if a kill came before the new one moved in."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    aside = tmp_path / f".model.old-{int(dead.stdout)}-abc"
    aside.mkdir()
    (aside / "weights").write_text("old")

    remove_stale_temporaries(tmp_path / "model")

    assert (tmp_path / "model" / "weights").read_text() == "old"
    assert not aside.exists()
