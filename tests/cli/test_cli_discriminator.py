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
    # stderr is a pipe here, not a terminal: progress comes as plain lines (it once printed
    # nothing for 17 minutes when piped)
    assert "preparing: done in" in result.stderr, result.stderr
    assert "epoch 1/1: 1" in result.stderr and "ETA at most" in result.stderr
    assert "\r" not in result.stderr  # no progress bar redraws in a log


def test_train_measures_an_unseen_tree(tmp_path, corpus_files):
    result = _afs(tmp_path, "discriminator", "train", "--input", corpus_files[0],
                  "--eval-input", corpus_files[1], "--output", tmp_path / "m", "--epochs", "1",
                  "--layers", "1", "--hidden", "16", "--max-length", "64", "--device", "cpu",
                  "--threads", "1", "--patience", "1", "--epoch-windows", "40")
    assert result.returncode == 0, result.stderr
    assert "unseen tree: ROC AUC" in result.stdout
    facts = json.loads((tmp_path / "m" / "training.json").read_text())
    assert facts["metrics"]["unseen"]["inputs"] == [str(corpus_files[1])]
    assert facts["params"]["epoch_windows"] == 40 and facts["params"]["threads"] == 1
    assert facts["history"][0]["examples"] <= 80 and facts["calibration"]["method"] == "platt"


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


# -- `afs discriminator score` / `filter` ---------------------------------------------------------

# spec/API_REFERENCE.md, "Score Quality" and "Filter by Quality" (plus the documented extras)
SCORE_FLAGS = ["--model", "--input", "--output", "--batch-size", "--device", "--profile"]
FILTER_FLAGS = ["--input", "--output", "--rejected", "--min-score", "--keep-invalid-asm"]
LOOKUP = "$7E0020 is POSY, Link's Y coordinate: two bytes."  # complete, and short
ZERO_HEALTH = ("To clear the health:\nZeroHealth:\n  STA #$00\n  LDB $7EF36D\n  RTL\n"
               "It returns to the caller.")


def test_score_and_filter_help_document_every_spec_flag_and_the_per_domain_defaults(tmp_path):
    score_help = _afs(tmp_path, "discriminator", "score", "--help").stdout
    filter_help = _afs(tmp_path, "discriminator", "filter", "--help").stdout
    assert all(flag in score_help for flag in SCORE_FLAGS)
    assert all(flag in filter_help for flag in FILTER_FLAGS)
    assert "default: per domain" in " ".join(score_help.split())
    assert "min_score of the profile that scored each sample" in " ".join(filter_help.split())


def _scored(tmp_path: Path, name: str, *args) -> list[dict]:
    result = _afs(tmp_path, "discriminator", "score", "--input", tmp_path / "raw.jsonl",
                  "--output", tmp_path / name, "--device", "cpu", *args)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in (tmp_path / name).read_text().splitlines()]


def test_score_chooses_each_samples_profile_by_domain_as_the_pipeline_does(tmp_path):
    """Issue 17: `score` used the asm profile for every sample (7,611 asm.symbols lookups
    dropped by `filter` for being short); it now follows the pipeline's rule, which is one
    function (ProfileChoice) read by both; `--profile` forces one profile."""
    import pandas as pd
    from kedro.config import OmegaConfigLoader

    from afs.quality.frame import sample_profiles
    from afs.samples import TrainingSample
    from afs.samples.jsonl import write_samples

    samples = [TrainingSample("Where is POSY?", LOOKUP, domain="asm.symbols"),
               TrainingSample("Where is POSY?", LOOKUP, domain="asm"),
               TrainingSample("Clear the health", ZERO_HEALTH, domain="asm")]
    write_samples(samples, tmp_path / "raw.jsonl")
    records = _scored(tmp_path, "scored.jsonl")
    root = Path(__file__).resolve().parents[2]
    quality = OmegaConfigLoader(str(root / "conf"), base_env="base",
                                default_run_env="local")["parameters"]["quality_scoring"]
    pipeline = sample_profiles(pd.DataFrame({"domain": [s.domain for s in samples]}), quality)
    profiles = [r["_metadata"]["quality"]["profile"] for r in records]
    assert profiles == list(pipeline) == ["reference", "asm", "asm"]
    zero_health = records[2]["_metadata"]["quality"]
    assert zero_health["asar_valid"] is False and len(zero_health["asar_errors"]) == 2

    forced = _scored(tmp_path, "forced.jsonl", "--profile", "asm")
    assert {r["_metadata"]["quality"]["profile"] for r in forced} == {"asm"}
    assert forced[0]["quality_score"] == records[1]["quality_score"] < 0.6 \
        <= records[0]["quality_score"]

    result = _afs(tmp_path, "discriminator", "filter", "--input", tmp_path / "scored.jsonl",
                  "--output", tmp_path / "kept.jsonl", "--rejected", tmp_path / "rej.jsonl")
    assert result.returncode == 0, result.stderr
    kept = [json.loads(line)["domain"]
            for line in (tmp_path / "kept.jsonl").read_text().splitlines()]
    rejected = {json.loads(line)["domain"] + ":" + json.loads(line)["reject_reason"].split(":")[0]
                for line in (tmp_path / "rej.jsonl").read_text().splitlines()}
    assert kept == ["asm.symbols"]  # held to the reference profile's min_score
    assert rejected == {"asm:low_quality", "asm:asar_invalid"}
    # --min-score forces one threshold for every sample, as before
    result = _afs(tmp_path, "discriminator", "filter", "--input", tmp_path / "scored.jsonl",
                  "--output", tmp_path / "kept.jsonl", "--rejected", tmp_path / "rej.jsonl",
                  "--min-score", "0.99")
    assert result.returncode == 0 and "kept 0 of 3" in result.stdout
