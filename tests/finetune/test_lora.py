"""LoRA training on the tiny base model: assistant-only labels, falling loss, an adapter that
reloads with peft, resume after a real kill, determinism and MLflow logging."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from afs.errors import DataError
from afs.samples.formats import get_converter
from afs.finetune.lora import CHECKPOINT_FILE, mean_loss, train_lora
from afs.finetune.chat_data import IGNORE_INDEX, encode_chat, encode_chats, read_chat_jsonl

RAW = Path(__file__).resolve().parents[2] / "data" / "01_raw"
# a few dozen real samples; small sizes so that each run takes a couple of seconds
FAST = {"batch_size": 8, "max_length": 128, "learning_rate": 1e-2, "r": 4, "mlflow": False,
        "early_stopping_patience": None, "raw_dir": RAW}


def write_chats(path: Path, rows: list[dict], system: str | None = None) -> Path:
    converter = get_converter("openai", system_prompt=system)
    with path.open("wb") as handle:
        for row in rows:
            # cut short so that every conversation fits max_length whole
            record = converter.convert_parts(row["instruction"][:80], "", row["output"][:120],
                                             None)
            handle.write(orjson.dumps(record) + b"\n")
    return path


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, tiny_cache) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("lora")
    short = [orjson.loads(line) for line in
             (RAW / "v1_training.jsonl").read_bytes().splitlines() if line.strip()][:44]
    return {"root": root, "cache": tiny_cache,
            "train": write_chats(root / "train.jsonl", short[:32], system="Answer briefly."),
            "val": write_chats(root / "val.jsonl", short[32:44])}


@pytest.fixture(scope="module")
def trained(workspace):
    """A 3-epoch run: (report, adapter folder)."""
    output = workspace["root"] / "adapter"
    report = train_lora("tiny", workspace["train"], workspace["val"], output, epochs=3, seed=3,
                        cache_dir=workspace["cache"], **FAST)
    return report, output


@pytest.fixture(scope="module")
def tokenizer(workspace, trained):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(workspace["cache"] / "tiny-base")


def test_only_assistant_tokens_carry_labels(tokenizer):
    messages = [{"role": "system", "content": "Be terse."},
                {"role": "user", "content": "Load 1 into A."},
                {"role": "assistant", "content": "LDA #$01"},
                {"role": "user", "content": "And return?"},
                {"role": "assistant", "content": "RTS"}]
    chat = encode_chat(tokenizer, messages, max_length=512)
    labelled = [label for label in chat.labels if label != IGNORE_INDEX]
    assert tokenizer.decode(labelled) == "LDA #$01<|im_end|>\nRTS<|im_end|>\n"
    for token, label in zip(chat.input_ids, chat.labels, strict=True):
        assert label in (IGNORE_INDEX, token)
    assert tokenizer.decode(chat.input_ids) == tokenizer.apply_chat_template(messages,
                                                                             tokenize=False)
    # truncated before the first assistant word: nothing to learn, so the sample is dropped
    kept, dropped = encode_chats(tokenizer, [messages], max_length=8)
    assert (kept, dropped) == ([], 1)


def test_training_lowers_the_loss_and_writes_an_adapter(trained, workspace):
    report, output = trained
    losses = [entry["val_loss"] for entry in report.history]
    assert len(losses) == 3 and losses[-1] < losses[0] - 0.1
    assert report.history[-1]["train_loss"] < report.history[0]["train_loss"]
    for name in ("adapter_config.json", "adapter_model.safetensors", "training.json"):
        assert (output / name).is_file(), name
    config = json.loads((output / "adapter_config.json").read_text())
    assert config["r"] == 4 and config["lora_alpha"] == 8
    assert set(config["target_modules"]) == {"q_proj", "k_proj", "v_proj", "o_proj",
                                              "gate_proj", "up_proj", "down_proj"}
    info = json.loads((output / "training.json").read_text())
    assert info["dataset"]["rows"] == {"train": 32, "val": 12}
    assert info["examples"] == {"train": 32, "val": 12}  # nothing dropped by truncation
    assert len(info["dataset"]["hash"]) == 64 and info["params"]["learning_rate"] == 1e-2
    assert [e["epoch"] for e in info["history"]] == [1, 2, 3]
    assert info["metrics"]["val_loss"] == min(losses) and report.tokens_per_second > 0
    assert not (workspace["root"] / ".adapter.checkpoint").exists()


def test_adapter_loads_back_onto_the_base_with_the_same_results(trained, workspace, tokenizer):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    report, output = trained
    base = AutoModelForCausalLM.from_pretrained(workspace["cache"] / "tiny-base")
    batch = tokenizer(["LDA #$01\nRTS\n"], return_tensors="pt")
    with torch.no_grad():
        before = base(**batch).logits
    model = PeftModel.from_pretrained(base, output).eval()
    val, _ = encode_chats(tokenizer, read_chat_jsonl(workspace["val"]), FAST["max_length"])
    assert mean_loss(model, val, 8, tokenizer.pad_token_id, "cpu") == pytest.approx(
        report.metrics["val_loss"], abs=1e-5)
    with torch.no_grad():
        after = model(**batch).logits
        merged = model.merge_and_unload()(**batch).logits
    assert (after - before).abs().max() > 1e-3  # the adapter changes the model
    assert torch.allclose(after, merged, atol=1e-4)


# One training run in a fresh process, as a user starts one: the killed run, its resumption and
# the straight run each get the same process state (threads, allocator, imports), so their
# adapters can be compared bit for bit whatever the test process has run before.
TRAIN_RUN = """
import json, os, signal, sys
from afs.finetune.lora import train_lora

train, val, out, cache, raw, die_at = sys.argv[1:7]

def die(state):
    if state["step"] == int(die_at):
        os.kill(os.getpid(), signal.SIGKILL)

report = train_lora("tiny", train, val, out, epochs=2, seed=5, cache_dir=cache, raw_dir=raw,
                    checkpoint_steps=3, on_step=die, batch_size=8, max_length=128,
                    learning_rate=1e-2, r=4, mlflow=False, early_stopping_patience=None)
print(json.dumps({"resumed_from": report.resumed_from, "history": report.history}))
"""


def train_in_a_process(workspace: dict, out: Path, die_at: int = 0,
                       ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", TRAIN_RUN, str(workspace["train"]),
                           str(workspace["val"]), str(out), str(workspace["cache"]), str(RAW),
                           str(die_at)], capture_output=True, text=True, timeout=300)


def adapter_tensors(folder: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(folder / "adapter_model.safetensors")


def same_tensors(first: dict, second: dict) -> bool:
    return first.keys() == second.keys() and all((first[k] == second[k]).all() for k in first)


def test_a_killed_run_resumes_from_its_checkpoint_and_ends_the_same(workspace, trained):
    root = workspace["root"]
    killed = root / "killed"
    done = train_in_a_process(workspace, killed, die_at=7)  # mid-epoch 2; last checkpoint: step 6
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    assert (root / ".killed.checkpoint" / CHECKPOINT_FILE).is_file()
    assert not killed.exists()  # no half-written adapter
    again = train_in_a_process(workspace, killed)
    straight = train_in_a_process(workspace, root / "straight")
    assert again.returncode == 0, again.stderr[-2000:]
    assert straight.returncode == 0, straight.stderr[-2000:]
    resumed = json.loads(again.stdout.splitlines()[-1])
    fresh = json.loads(straight.stdout.splitlines()[-1])
    assert resumed["resumed_from"] == {"epoch": 1, "batch": 2, "step": 6}
    assert len(resumed["history"]) == 2
    assert fresh["resumed_from"] is None
    assert same_tensors(adapter_tensors(killed), adapter_tensors(root / "straight"))
    assert resumed["history"] == fresh["history"]


def test_same_seed_same_adapter_other_seed_other_adapter(workspace):
    root, options = workspace["root"], {**FAST, "epochs": 1, "cache_dir": workspace["cache"]}
    runs = {name: train_lora("tiny", workspace["train"], workspace["val"], root / name,
                             seed=seed, **options)
            for name, seed in (("a", 11), ("b", 11), ("c", 12))}
    assert same_tensors(adapter_tensors(root / "a"), adapter_tensors(root / "b"))
    assert not same_tensors(adapter_tensors(root / "a"), adapter_tensors(root / "c"))
    assert runs["a"].history == runs["b"].history


def test_early_stopping_keeps_the_best_epoch(workspace):
    # a learning rate this high makes the val loss rise (or blow up) after the first epoch
    options = {**FAST, "learning_rate": 3.0, "early_stopping_patience": 1,
               "cache_dir": workspace["cache"]}
    report = train_lora("tiny", workspace["train"], workspace["val"],
                        workspace["root"] / "early", epochs=6, seed=1, **options)
    losses = [entry["val_loss"] for entry in report.history]
    assert report.stopped_early and len(losses) < 6
    best = min(loss for loss in losses if loss == loss)  # NaN: diverged
    assert not losses[-1] < best and report.metrics["val_loss"] == best
    assert report.best_epoch == losses.index(best) + 1


def test_mlflow_gets_params_step_losses_val_metrics_and_the_adapter(workspace, monkeypatch):
    import mlflow

    uri = f"sqlite:///{workspace['root'] / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    options = {**FAST, "mlflow": True, "epochs": 1, "cache_dir": workspace["cache"]}
    report = train_lora("tiny", workspace["train"], workspace["val"],
                        workspace["root"] / "tracked", seed=2, **options)
    assert report.mlflow_run_id and mlflow.active_run() is None
    client = mlflow.MlflowClient(uri)
    run = client.get_run(report.mlflow_run_id)
    assert run.data.params["lora.r"] == "4"
    assert run.data.params["lora.dataset_hash"] == report.dataset["hash"]
    assert run.data.params["lora.rows_train"] == "32"
    steps = client.get_metric_history(report.mlflow_run_id, "lora.train_loss")
    assert [m.step for m in steps] == [1, 2, 3, 4]
    assert run.data.params["lora.rows_val"] == "12" and run.data.metrics["lora.epoch"] == 1
    assert run.data.metrics["lora.val_loss"] == pytest.approx(report.history[0]["val_loss"])
    artifacts = {a.path for a in client.list_artifacts(report.mlflow_run_id, "adapter")}
    assert "adapter/adapter_model.safetensors" in artifacts
    # under kedro-mlflow a run is already active: log into it and leave it open
    with mlflow.start_run() as outer:
        inside = train_lora("tiny", workspace["train"], workspace["val"],
                            workspace["root"] / "tracked-inside", seed=2, **options)
        assert inside.mlflow_run_id == outer.info.run_id and mlflow.active_run() is not None


def test_a_broken_mlflow_does_not_fail_training(workspace, monkeypatch, caplog):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "nosuchscheme://nowhere")
    options = {**FAST, "mlflow": True, "epochs": 1, "cache_dir": workspace["cache"]}
    report = train_lora("tiny", workspace["train"], workspace["val"],
                        workspace["root"] / "untracked", seed=2, **options)
    assert (report.output_dir / "adapter_model.safetensors").is_file()
    assert report.mlflow_run_id is None
    assert "MLflow logging failed" in caplog.text


def test_each_epoch_reports_its_progress_and_ends_with_its_losses(workspace):
    """LoRA training was silent for 77-296 s per epoch inside `kedro run`."""
    import io

    from afs.progress import Reporter

    stream = io.StringIO()
    train_lora("tiny", workspace["train"], workspace["val"], workspace["root"] / "watched",
               epochs=2, seed=3, cache_dir=workspace["cache"],
               progress=Reporter(stream=stream, every=0.0, quiet_for=0.0), **FAST)
    lines = stream.getvalue().splitlines()
    # 32 train conversations in batches of 8, then 12 val ones: 4 + 2 batches an epoch
    for epoch in (1, 2):
        mine = [line for line in lines if line.startswith(f"LoRA epoch {epoch}/2: ")]
        assert mine[0] == f"LoRA epoch {epoch}/2: 6 batches"
        assert [line.split(", ")[0] for line in mine[1:7]] == [
            f"LoRA epoch {epoch}/2: {n}/6 batches" for n in range(1, 7)]
        assert all("/s, ETA " in line for line in mine[1:7])
        assert re.fullmatch(rf"LoRA epoch {epoch}/2: done in \d+s; train loss \d\.\d{{4}}, val "
                            r"loss \d\.\d{4}( \(best so far\))?", mine[7]), mine[7]


def test_under_kedro_the_epochs_are_afs_log_lines(workspace):
    """With logging set up for AFS (conf/logging.yml in a Kedro session) the default progress
    goes to the afs.progress logger, and the epoch ends with its losses."""
    seen: list[logging.LogRecord] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = seen.append
    afs = logging.getLogger("afs")
    afs.addHandler(handler)
    afs.setLevel(logging.INFO)
    try:
        train_lora("tiny", workspace["train"], workspace["val"], workspace["root"] / "logged",
                   epochs=1, seed=3, cache_dir=workspace["cache"], **FAST)
    finally:
        afs.removeHandler(handler)
    progress = [r for r in seen if r.name == "afs.progress"]
    assert progress and {r.levelno for r in progress} == {logging.INFO}
    last = progress[-1].getMessage()
    assert last.startswith("LoRA epoch 1/1: done in ") and "train loss" in last
    # a line before it only when the epoch ran past quiet_for (5 s: a loaded machine)
    assert all(r.getMessage().startswith("LoRA epoch 1/1: ") for r in progress)


def test_a_bad_line_is_reported_with_file_and_line(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "hi"}, '
                    '{"role": "assistant", "content": "yo"}]}\n{"text": "no messages"}\n')
    with pytest.raises(DataError, match=r"train.jsonl:2: expected \{\"messages\""):
        read_chat_jsonl(path)
    os.remove(path)
    with pytest.raises(DataError, match="no such file"):
        read_chat_jsonl(path)
