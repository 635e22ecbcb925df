"""Shared fixtures: a LoRA adapter trained on the session's tiny base model, built once."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

RAW = Path(__file__).resolve().parents[2] / "data" / "01_raw"


@pytest.fixture(scope="session")
def tiny_models(tiny_cache) -> Path:
    """The session's tiny models folder (``tests/conftest.py``), under the name these tests use."""
    return tiny_cache


def write_chats(path: Path, rows: list[dict]) -> Path:
    """Short OpenAI-format conversations from sample rows."""
    with path.open("wb") as handle:
        for row in rows:
            messages = [{"role": "user", "content": row["instruction"][:80]},
                        {"role": "assistant", "content": row["output"][:120]}]
            handle.write(orjson.dumps({"messages": messages}) + b"\n")
    return path


@pytest.fixture(scope="session")
def adapter(tmp_path_factory, tiny_models) -> Path:
    """A LoRA adapter trained by ``train_lora`` for a few steps with a high learning rate, so
    that its B matrices are far from zero and merging it changes the model's logits."""
    from afs.finetune.lora import train_lora

    root = tmp_path_factory.mktemp("adapter")
    rows = [orjson.loads(line) for line in
            (RAW / "v1_training.jsonl").read_bytes().splitlines() if line.strip()][:24]
    train = write_chats(root / "train.jsonl", rows[:16])
    val = write_chats(root / "val.jsonl", rows[16:])
    output = root / "lora"
    train_lora("tiny", train, val, output, r=4, epochs=2, batch_size=8, max_length=128,
               learning_rate=2e-2, seed=7, mlflow=False, early_stopping_patience=None,
               cache_dir=tiny_models, raw_dir=RAW)
    return output
