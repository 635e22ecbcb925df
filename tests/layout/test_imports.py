"""The package layout is the picture of the pipeline: every import path the API reference
writes works, and the import contracts in pyproject.toml (floors and no circles) hold."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Every `from X import Y` of ../shared/spec/API_REFERENCE.md.
SPEC_IMPORTS = [
    ("afs.training", ["RehearsalBuffer", "RehearsalBufferConfig", "split_dataset",
                      "rebalance_datasets", "score_jsonl", "load_jsonl", "save_jsonl"]),
    ("afs.training.scoring", ["QualityScorer", "ScoringConfig", "ScoringWeights"]),
    ("afs.training.converters", ["AlpacaConverter", "ShareGPTConverter", "OpenAIConverter"]),
    ("afs.generators.base", ["BaseGenerator", "TrainingSample"]),
    ("afs.oracle.training_generator", ["OracleTrainingGenerator"]),
    ("afs.discriminator", ["score_jsonl", "filter_jsonl"]),
    ("afs.knowledge", ["AddressDatabase"]),
    ("afs.tokenizer", ["ASMTokenizer"]),
    ("afs.deployment", ["convert_lora_to_gguf", "LMStudioClient"]),
]


@pytest.mark.parametrize(("module", "names"), SPEC_IMPORTS, ids=[m for m, _ in SPEC_IMPORTS])
def test_every_spec_import_path_works(module, names):
    imported = importlib.import_module(module)
    missing = [name for name in names if not hasattr(imported, name)]
    assert not missing, f"{module} lacks {missing}"


def test_the_spec_names_are_the_stage_packages_objects():
    """The seed's paths are re-exports, not copies: one class, two names."""
    from afs.curation.rehearsal import RehearsalBuffer
    from afs.quality.scorer import QualityScorer
    from afs.samples.formats import AlpacaConverter
    from afs.samples.model import TrainingSample
    from afs.training import RehearsalBuffer as SpecBuffer
    from afs.training.converters import AlpacaConverter as SpecAlpaca
    from afs.training.scoring import QualityScorer as SpecScorer
    from afs.generators.base import TrainingSample as SpecSample

    assert (SpecBuffer, SpecScorer, SpecAlpaca, SpecSample) == (
        RehearsalBuffer, QualityScorer, AlpacaConverter, TrainingSample)


def test_import_contracts_hold():
    """import-linter, with the contracts of pyproject.toml: the floors (samples/asm at the
    bottom, the stage packages above them, pipelines and the CLI on top) and no import
    circle between any two siblings, packages or modules."""
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter), str(ROOT / "pyproject.toml"), "--no-cache", "--no-logo"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
