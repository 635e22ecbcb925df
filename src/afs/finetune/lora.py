"""LoRA fine-tuning of a causal LM on chat-formatted splits, with a plain torch loop.

peft LoRA adapters (α = 2r and all linear projections by default) on ``base_model`` (a hub id,
a local folder, or ``tiny``: see :mod:`afs.finetune.tiny`). Loss on assistant tokens only
(:mod:`afs.finetune.chat_data`), AdamW with linear warm-up and decay, gradient clipping, val
loss and perplexity after every epoch, early stopping on val loss (the best epoch's adapter
is the one kept).

Interruptions: a checkpoint (adapter weights, the best ones so far, optimizer, scheduler, RNG
states, epoch/step and history) is written atomically after every epoch and every
``checkpoint_steps`` steps into ``checkpoint_dir``; with ``resume`` a new call with the same
settings and data carries on from it, and ends with the same adapter as a run that never
stopped. The finished adapter folder (``adapter_config.json``, ``adapter_model.safetensors``,
``training.json``) replaces ``output_dir`` atomically; the checkpoint is then removed.

MLflow (when asked for and a run is active or ``MLFLOW_TRACKING_URI`` is set): params, the
dataset hash and row counts, per-step loss, val metrics per epoch, the adapter as an artifact.
"""

from __future__ import annotations

import json
import logging
import math
import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afs.atomic_dir import atomic_directory
from afs.errors import ConfigError, DataError
from afs.finetune.chat_data import (
    collate,
    dataset_fingerprint,
    encode_chats,
    epoch_order,
    iter_batches,
    read_chat_jsonl,
)
from afs.finetune.tiny import DEFAULT_RAW_DIR, resolve_base_model
from afs.samples.jsonl import atomic_write
from afs.tracking import MlflowTracker

log = logging.getLogger(__name__)

DEFAULT_TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                          "down_proj")
CHECKPOINT_FILE = "checkpoint.pt"
TRAINING_INFO = "training.json"
DEVICES = ("auto", "cpu", "cuda", "mps")


@dataclass
class LoraReport:
    """What a training run did: where the adapter is, its metrics and the data it saw."""

    output_dir: Path
    metrics: dict[str, float]
    history: list[dict[str, float]]
    params: dict[str, Any]
    dataset: dict[str, Any]
    best_epoch: int
    stopped_early: bool
    resumed_from: dict[str, int] | None
    seconds: float
    tokens_per_second: float
    mlflow_run_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def resolve_training_device(device: str = "auto") -> str:
    """``auto`` -> cuda, else mps, else cpu; an explicit device torch cannot see is an error."""
    import torch

    if device not in DEVICES and not str(device).startswith("cuda:"):
        raise ConfigError(f"unknown device {device!r} (use one of {', '.join(DEVICES)})")
    mps = getattr(torch.backends, "mps", None)
    has_mps = bool(mps is not None and mps.is_available())
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "mps" if has_mps else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("device cuda asked for, but torch sees no CUDA GPU (use cpu)")
    if device == "mps" and not has_mps:
        raise ConfigError("device mps asked for, but torch sees no Apple GPU (use cpu)")
    return device


def autocast_dtype(device: str) -> Any:
    """bf16 autocast where the device supports it (CUDA with bf16), else None (fp32)."""
    import torch

    if device.startswith("cuda") and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


def lora_model(model: Any, *, r: int, alpha: int, dropout: float,
               target_modules: Sequence[str], seed: int) -> Any:
    """``model`` wrapped with fresh (seeded) LoRA adapters on ``target_modules``."""
    import torch
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout,
                        target_modules=list(target_modules), bias="none", task_type="CAUSAL_LM")
    torch.manual_seed(seed)
    return get_peft_model(model, config)


def mean_loss(model: Any, chats: Sequence[Any], batch_size: int, pad_id: int,
              device: str) -> float:
    """Token-weighted mean cross-entropy over the labelled tokens of ``chats``."""
    import torch

    total, count = 0.0, 0
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for chunk in iter_batches(chats, range(len(chats)), batch_size):
            batch = {k: v.to(device) for k, v in collate(chunk, pad_id).items()}
            tokens = int((batch["labels"][:, 1:] != -100).sum())
            with _autocast(device):
                loss = model(**batch).loss
            total += float(loss) * tokens
            count += tokens
    model.train(was_training)
    return total / count if count else float("nan")


def linear_schedule(optimizer: Any, warmup_steps: int, total_steps: int) -> Any:
    """Linear warm-up from 0 over ``warmup_steps``, then linear decay to 0 at
    ``total_steps`` (transformers' schedule, without importing its trainer stack)."""
    import torch

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / (warmup_steps + 1)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _autocast(device: str) -> Any:
    import contextlib

    import torch

    dtype = autocast_dtype(device)
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.split(":")[0], dtype=dtype)


def _rng_state() -> dict[str, Any]:
    import numpy as np
    import torch

    state = {"python": random.getstate(), "numpy": np.random.get_state(),
             "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    import numpy as np
    import torch

    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _trainable_state(model: Any) -> dict[str, Any]:
    return {name: tensor.detach().cpu().clone()
            for name, tensor in model.named_parameters() if tensor.requires_grad}


def save_checkpoint(path: Path, model: Any, optimizer: Any, scheduler: Any,
                    progress: dict[str, Any], best_state: dict[str, Any] | None) -> None:
    """Everything a resumed run needs, in one file written atomically."""
    import torch

    payload = {"adapter": _trainable_state(model), "best_adapter": best_state,
               "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
               "rng": _rng_state(), "progress": progress}
    with atomic_write(path) as handle:
        torch.save(payload, handle)


def load_checkpoint(path: Path, fingerprint: str) -> dict[str, Any] | None:
    """The checkpoint at ``path`` if there is one from a run with this ``fingerprint``."""
    import torch

    if not path.is_file():
        return None
    try:
        # our own file; the numpy RNG state in it is not loadable with weights_only=True
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - an unreadable checkpoint means starting over
        log.warning("cannot read checkpoint %s (%s); starting over", path, exc)
        return None
    if payload.get("progress", {}).get("fingerprint") != fingerprint:
        log.warning("checkpoint %s is from other settings or data; starting over", path)
        return None
    return payload


def _run_fingerprint(params: dict[str, Any], data_hash: str) -> str:
    import hashlib

    text = json.dumps({"params": params, "data": data_hash}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _check_params(r: int, epochs: int, batch_size: int, max_length: int, dropout: float,
                  learning_rate: float) -> None:
    for name, value in (("r", r), ("epochs", epochs), ("batch_size", batch_size),
                        ("max_length", max_length)):
        if value < 1:
            raise ConfigError(f"{name} must be at least 1, not {value}")
    if not 0 <= dropout < 1:
        raise ConfigError(f"dropout must be in [0, 1), not {dropout}")
    if learning_rate <= 0:
        raise ConfigError(f"learning_rate must be positive, not {learning_rate}")


def train_lora(base_model: str | Path, train_path: str | Path, val_path: str | Path,
               output_dir: str | Path, *, r: int = 8, alpha: int | None = None,
               dropout: float = 0.05, target_modules: Sequence[str] | None = None,
               epochs: int = 3, learning_rate: float = 2e-4, batch_size: int = 8,
               max_length: int = 512, seed: int = 42, device: str = "auto",
               early_stopping_patience: int | None = 2, warmup_ratio: float = 0.05,
               max_grad_norm: float = 1.0, checkpoint_steps: int | None = None,
               checkpoint_dir: str | Path | None = None, resume: bool = True,
               mlflow: bool = True, cache_dir: str | Path = "models",
               raw_dir: str | Path = DEFAULT_RAW_DIR,
               on_step: Callable[[dict[str, Any]], None] | None = None) -> LoraReport:
    """Fine-tune LoRA adapters of ``base_model`` on the chat JSONL ``train_path``, validate on
    ``val_path`` each epoch, and write the best adapter to ``output_dir``.

    ``on_step`` is called after every optimizer step (and any checkpoint) with the step,
    epoch and loss. ``cache_dir``/``raw_dir`` are where ``tiny`` is built and from what."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    alpha = 2 * r if alpha is None else alpha
    target_modules = list(target_modules or DEFAULT_TARGET_MODULES)
    _check_params(r, epochs, batch_size, max_length, dropout, learning_rate)
    output_dir = Path(output_dir).expanduser()
    checkpoint = Path(checkpoint_dir).expanduser() if checkpoint_dir else \
        output_dir.with_name(f".{output_dir.name}.checkpoint")
    device = resolve_training_device(device)
    dataset = dataset_fingerprint({"train": train_path, "val": val_path})
    resolved = resolve_base_model(base_model, cache_dir, raw_dir=raw_dir)
    tokenizer = AutoTokenizer.from_pretrained(resolved)
    if tokenizer.chat_template is None:
        raise ConfigError(f"{base_model}: its tokenizer has no chat template to format with")
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None \
        else tokenizer.eos_token_id
    train, dropped_train = encode_chats(tokenizer, read_chat_jsonl(train_path), max_length)
    val, dropped_val = encode_chats(tokenizer, read_chat_jsonl(val_path), max_length)
    if not train:
        raise DataError("no conversation with an assistant token left to train on",
                        path=train_path)
    params = {"base_model": str(base_model), "r": r, "alpha": alpha, "dropout": dropout,
              "target_modules": target_modules, "epochs": epochs,
              "learning_rate": learning_rate, "batch_size": batch_size,
              "max_length": max_length, "seed": seed, "device": device,
              "early_stopping_patience": early_stopping_patience,
              "warmup_ratio": warmup_ratio, "max_grad_norm": max_grad_norm}
    fingerprint = _run_fingerprint(params, dataset["hash"])

    random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    base = AutoModelForCausalLM.from_pretrained(resolved, dtype=torch.float32)
    model = lora_model(base, r=r, alpha=alpha, dropout=dropout,
                       target_modules=target_modules, seed=seed).to(device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=learning_rate, weight_decay=0.0)
    steps_per_epoch = math.ceil(len(train) / batch_size)
    total_steps = steps_per_epoch * epochs
    scheduler = linear_schedule(optimizer, int(warmup_ratio * total_steps), total_steps)

    progress = {"fingerprint": fingerprint, "epoch": 0, "batch": 0, "step": 0,
                "history": [], "best_val": math.inf, "best_epoch": 0, "bad_epochs": 0,
                "tokens": 0, "train_seconds": 0.0, "stopped_early": False}
    best_state = None
    resumed_from = None
    state = load_checkpoint(checkpoint / CHECKPOINT_FILE, fingerprint) if resume else None
    if state is not None:
        model.load_state_dict(state["adapter"], strict=False)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        _set_rng_state(state["rng"])
        progress, best_state = state["progress"], state["best_adapter"]
        resumed_from = {"epoch": progress["epoch"], "batch": progress["batch"],
                        "step": progress["step"]}
        log.info("resuming LoRA training from %s (%s)", checkpoint, resumed_from)

    tracker = MlflowTracker(mlflow, run_name="lora-train", prefix="lora.")
    tracker.params({**params, "target_modules": ",".join(target_modules)})
    tracker.params({"dataset_hash": dataset["hash"],
                    **{f"rows_{k}": v for k, v in dataset["rows"].items()},
                    "examples_train": len(train), "examples_val": len(val)})

    def write_checkpoint() -> None:
        save_checkpoint(checkpoint / CHECKPOINT_FILE, model, optimizer, scheduler, progress,
                        best_state)

    model.train()
    while progress["epoch"] < epochs and not progress["stopped_early"]:
        epoch = progress["epoch"]
        order = epoch_order(len(train), seed, epoch)
        tick = time.perf_counter()
        for chunk in list(iter_batches(train, order, batch_size))[progress["batch"]:]:
            batch = {k: v.to(device) for k, v in collate(chunk, pad_id).items()}
            with _autocast(device):
                loss = model(**batch).loss
            loss.backward()
            value = loss.item()
            labelled = int((batch["labels"][:, 1:] != -100).sum())
            progress["loss_sum"] = progress.get("loss_sum", 0.0) + value * labelled
            progress["loss_tokens"] = progress.get("loss_tokens", 0) + labelled
            torch.nn.utils.clip_grad_norm_(trainable, max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            progress["batch"] += 1
            progress["step"] += 1
            progress["tokens"] += int(batch["attention_mask"].sum())
            tracker.metrics({"train_loss": value,
                             "learning_rate": scheduler.get_last_lr()[0]}, step=progress["step"])
            if checkpoint_steps and progress["step"] % checkpoint_steps == 0:
                progress["train_seconds"] += time.perf_counter() - tick
                tick = time.perf_counter()
                write_checkpoint()
            if on_step is not None:
                on_step({"epoch": epoch, "step": progress["step"], "loss": value})
        progress["train_seconds"] += time.perf_counter() - tick
        # the running mean over the epoch's steps: a second pass over train would cost a third
        train_loss = progress.pop("loss_sum", 0.0) / max(progress.pop("loss_tokens", 0), 1)
        val_loss = mean_loss(model, val, batch_size, pad_id, device) if val else train_loss
        entry = {"epoch": epoch + 1, "step": progress["step"], "train_loss": train_loss,
                 "val_loss": val_loss, "val_perplexity": _perplexity(val_loss)}
        progress["history"].append(entry)
        tracker.metrics({"epoch": epoch + 1, "epoch_train_loss": train_loss,
                         "val_loss": val_loss, "val_perplexity": entry["val_perplexity"]},
                        step=progress["step"])
        log.info("epoch %d: train loss %.4f, val loss %.4f", epoch + 1, train_loss, val_loss)
        if val_loss < progress["best_val"]:
            progress.update(best_val=val_loss, best_epoch=epoch + 1, bad_epochs=0)
            best_state = _trainable_state(model)
        else:
            progress["bad_epochs"] += 1
            if early_stopping_patience is not None and \
                    progress["bad_epochs"] >= early_stopping_patience:
                progress["stopped_early"] = True
        progress["epoch"] += 1
        progress["batch"] = 0
        write_checkpoint()

    if best_state is not None:
        model.load_state_dict(best_state, strict=False)
    best = next((e for e in progress["history"] if e["epoch"] == progress["best_epoch"]),
                progress["history"][-1])  # no finite val loss at all: report the last epoch
    metrics = {"val_loss": best["val_loss"], "val_perplexity": best["val_perplexity"],
               "train_loss": best["train_loss"]}
    tokens_per_second = progress["tokens"] / max(progress["train_seconds"], 1e-9)
    info = {"params": params, "base_model_path": resolved, "dataset": dataset,
            "examples": {"train": len(train), "val": len(val)},
            "dropped_no_assistant_tokens": {"train": dropped_train, "val": dropped_val},
            "history": progress["history"], "best_epoch": progress["best_epoch"],
            "stopped_early": progress["stopped_early"], "metrics": metrics,
            "steps": progress["step"], "tokens": progress["tokens"],
            "tokens_per_second": round(tokens_per_second, 1), "resumed_from": resumed_from,
            "trainable_parameters": sum(p.numel() for p in trainable)}
    with atomic_directory(output_dir) as staging:
        model.save_pretrained(staging)
        (staging / TRAINING_INFO).write_text(json.dumps(info, indent=2, default=str) + "\n")
    shutil.rmtree(checkpoint, ignore_errors=True)
    tracker.metrics({f"best_{k}": v for k, v in metrics.items()})
    tracker.tags({"dataset_hash": dataset["hash"], "output_dir": output_dir,
                  "best_epoch": progress["best_epoch"]})
    tracker.artifacts(output_dir, "adapter")
    tracker.close()
    return LoraReport(output_dir, metrics, progress["history"], params, dataset,
                      progress["best_epoch"], progress["stopped_early"], resumed_from,
                      round(time.perf_counter() - started, 2), tokens_per_second,
                      tracker.run_id)


def _perplexity(loss: float) -> float:
    return math.exp(loss) if loss == loss and loss < 50 else float("inf")
