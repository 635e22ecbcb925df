"""`afs discriminator train` through the installed `afs` script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from afs.cli import discriminator as cli_module
from tests.discriminator.conftest import corpus_files  # noqa: F401  (a fixture)


def _afs(tmp_path: Path, *args) -> subprocess.CompletedProcess:
    executable = Path(sys.executable).parent / "afs"
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1",
           "HOME": str(tmp_path), "AFS_DEBUG": ""}
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.run([str(executable), *map(str, args)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_train_through_the_entry_point(tmp_path, corpus_files):
    result = _afs(tmp_path, "discriminator", "train", "--input", corpus_files[0],
                  "--input", corpus_files[1], "--output", tmp_path / "models" / "electra",
                  "--epochs", "1", "--layers", "1", "--hidden", "32", "--batch-size", "16",
                  "--max-length", "128", "--device", "cpu", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "held-out ROC AUC" in result.stdout
    facts = json.loads((tmp_path / "models" / "electra" / "training.json").read_text())
    assert facts["params"]["seed"] == 3 and "roc_auc" in facts["metrics"]


def test_missing_input_is_one_error_line(tmp_path):
    result = _afs(tmp_path, "discriminator", "train", "--input", tmp_path / "nope.asm",
                  "--output", tmp_path / "out")
    assert result.returncode == 1
    assert result.stderr.startswith("error:") and "nope.asm" in result.stderr
    assert not (tmp_path / "out").exists()


def test_cli_defaults_mirror_the_library():
    from afs.discriminator import model, train

    assert cli_module.DEFAULT_EPOCHS == train.DEFAULT_EPOCHS
    assert cli_module.DEFAULT_BATCH_SIZE == train.DEFAULT_BATCH_SIZE
    assert cli_module.DEFAULT_MAX_LENGTH == model.DEFAULT_MAX_LENGTH
    assert cli_module.DEFAULT_LAYERS == train.DEFAULT_LAYERS
    assert cli_module.DEFAULT_HIDDEN == train.DEFAULT_HIDDEN
    assert cli_module.DEFAULT_LEARNING_RATE == train.DEFAULT_LEARNING_RATE
    from afs.quality.config import BUILTIN_PROFILES

    assert set(cli_module.PROFILE_CHOICE.choices) == set(BUILTIN_PROFILES)
