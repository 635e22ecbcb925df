"""Shared fixtures: the shipped asm corpus and one tiny model trained on part of it."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "data" / "01_raw" / "asm"
TINY = {"epochs": 1, "layers": 1, "hidden": 32, "windows": (8,), "stride": 4,
        "batch_size": 16, "max_length": 128, "log_to_mlflow": False}


@pytest.fixture(scope="session")
def corpus_files() -> list[Path]:
    return [CORPUS / "Sprites" / "sentry_statue.asm", CORPUS / "Core" / "dma.asm",
            CORPUS / "Items" / "shard_exchange.asm", CORPUS / "Core" / "math.asm"]


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, corpus_files):
    """(folder, TrainReport) of a 1-layer, hidden-32 model trained for one epoch."""
    from afs.discriminator.train import train_discriminator

    output = tmp_path_factory.mktemp("models") / "electra"
    report = train_discriminator(corpus_files, output, seed=7, **TINY)
    return output, report
