"""LoRA fine-tuning of a causal LM on chat-formatted splits, with a plain torch loop.

peft LoRA adapters (α = 2r and all linear projections by default) on ``base_model`` (a hub id,
a local folder, or ``tiny``: see :mod:`afs.finetune.tiny`). Loss on assistant tokens only
(:mod:`afs.finetune.chat_data`), AdamW with linear warm-up and decay, gradient clipping, val
loss and perplexity after every epoch, early stopping on val loss (the best epoch's adapter
is the one kept). Each epoch (its steps, then its validation) is one progress phase
(:mod:`afs.progress`: a bar on a terminal, lines with rate and ETA in a log or ``kedro run``)
that ends with the epoch's losses.

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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from afs.atomic_dir import atomic_directory, atomic_write
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
from afs.progress import Reporter, as_reporter, library_bars
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
              device: str, on_batch: Callable[[], None] | None = None) -> float:
    """Token-weighted mean cross-entropy over the labelled tokens of ``chats``;
    ``on_batch`` is called after each batch (progress)."""
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
            if on_batch is not None:
                on_batch()
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


@dataclass
class LoraSettings:
    """The settings that decide what a run computes: its MLflow params, the ``params`` of its
    report, and (with the data's hash) the fingerprint a checkpoint must match to be resumed.
    The field order is the order of those params."""

    base_model: str
    r: int
    alpha: int
    dropout: float
    target_modules: list[str]
    epochs: int
    learning_rate: float
    batch_size: int
    max_length: int
    seed: int
    device: str
    early_stopping_patience: int | None
    warmup_ratio: float
    max_grad_norm: float

    def __post_init__(self) -> None:
        for name in ("r", "epochs", "batch_size", "max_length"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, not {getattr(self, name)}")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"dropout must be in [0, 1), not {self.dropout}")
        if self.learning_rate <= 0:
            raise ConfigError(f"learning_rate must be positive, not {self.learning_rate}")
        # after the checks above, so that a bad setting is reported before a missing GPU
        self.device = resolve_training_device(self.device)

    def params(self) -> dict[str, Any]:
        return asdict(self)

    def fingerprint(self, data_hash: str) -> str:
        """What a checkpoint must carry to be resumed by this run: these settings, this data."""
        import hashlib

        text = json.dumps({"params": self.params(), "data": data_hash}, sort_keys=True,
                          default=str)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class ChatSplits:
    """The train and val conversations encoded for the base model, and what the report says
    about them (the files' hash and rows, conversations dropped for lack of an assistant
    token within ``max_length``)."""

    base_model_path: str
    pad_id: int
    train: list[Any]
    val: list[Any]
    dropped: dict[str, int]
    dataset: dict[str, Any]

    @classmethod
    def load(cls, base_model: str | Path, train_path: str | Path, val_path: str | Path,
             max_length: int, cache_dir: str | Path, raw_dir: str | Path,
             progress: bool | Reporter = False) -> ChatSplits:
        from transformers import AutoTokenizer

        dataset = dataset_fingerprint({"train": train_path, "val": val_path})
        resolved = resolve_base_model(base_model, cache_dir, raw_dir=raw_dir, progress=progress)
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
        return cls(resolved, pad_id, train, val, {"train": dropped_train, "val": dropped_val},
                   dataset)

    def counts(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val)}


@dataclass
class Checkpoints:
    """Where a run's checkpoint lives, how often it is written besides at each epoch's end,
    and whether an earlier one is picked up."""

    folder: Path
    every_steps: int | None
    resume: bool

    @classmethod
    def beside(cls, output_dir: Path, folder: str | Path | None, every_steps: int | None,
               resume: bool) -> Checkpoints:
        """``folder``, or ``.<output name>.checkpoint`` next to ``output_dir``."""
        path = Path(folder).expanduser() if folder else \
            output_dir.with_name(f".{output_dir.name}.checkpoint")
        return cls(path, every_steps, resume)

    @property
    def file(self) -> Path:
        return self.folder / CHECKPOINT_FILE

    def save(self, model: Any, optimizer: Any, scheduler: Any, progress: dict[str, Any],
             best_adapter: dict[str, Any] | None) -> None:
        """Everything a resumed run needs, in one file written atomically."""
        import torch

        payload = {"adapter": _trainable_state(model), "best_adapter": best_adapter,
                   "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                   "rng": _rng_state(), "progress": progress}
        with atomic_write(self.file) as handle:
            torch.save(payload, handle)

    def load(self, fingerprint: str) -> dict[str, Any] | None:
        """The checkpoint if there is one from a run with this ``fingerprint``."""
        import torch

        if not self.file.is_file():
            return None
        try:
            # our own file; the numpy RNG state in it is not loadable with weights_only=True
            payload = torch.load(self.file, map_location="cpu", weights_only=False)
        except Exception as exc:  # noqa: BLE001 - an unreadable checkpoint means starting over
            log.warning("cannot read checkpoint %s (%s); starting over", self.file, exc)
            return None
        if payload.get("progress", {}).get("fingerprint") != fingerprint:
            log.warning("checkpoint %s is from other settings or data; starting over",
                        self.file)
            return None
        return payload

    def due(self, step: int) -> bool:
        return bool(self.every_steps) and step % self.every_steps == 0

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class TrainingState:
    """Where a run stands. Saved as a plain dict (``progress``) in every checkpoint, so that a
    resumed run carries on from the same batch with the same sums, history and best epoch."""

    fingerprint: str
    epoch: int = 0  # epochs done
    batch: int = 0  # batches done of this epoch's order
    step: int = 0  # optimizer steps done
    history: list[dict[str, float]] = field(default_factory=list)
    best_val: float = math.inf
    best_epoch: int = 0
    bad_epochs: int = 0
    tokens: int = 0  # non-pad tokens trained on
    train_seconds: float = 0.0
    stopped_early: bool = False
    # this epoch's loss so far, weighted by labelled tokens (the epoch's train loss)
    loss_sum: float = 0.0
    loss_tokens: int = 0

    def progress(self) -> dict[str, Any]:
        return asdict(self)

    def position(self) -> dict[str, int]:
        return {"epoch": self.epoch, "batch": self.batch, "step": self.step}

    def running(self, epochs: int) -> bool:
        return self.epoch < epochs and not self.stopped_early

    def record_step(self, loss: float, labelled: int, tokens: int) -> None:
        self.loss_sum += loss * labelled
        self.loss_tokens += labelled
        self.batch += 1
        self.step += 1
        self.tokens += tokens

    def epoch_train_loss(self) -> float:
        """The running mean over the epoch's steps (a second pass over train would cost a
        third of the epoch); the sums start again for the next epoch."""
        loss = self.loss_sum / max(self.loss_tokens, 1)
        self.loss_sum, self.loss_tokens = 0.0, 0
        return loss

    def end_epoch(self, train_loss: float, val_loss: float, patience: int | None) -> bool:
        """Record the epoch and move on to the next; whether its val loss is the best yet.
        ``patience`` epochs in a row without a better val loss stop the run."""
        self.history.append({"epoch": self.epoch + 1, "step": self.step,
                             "train_loss": train_loss, "val_loss": val_loss,
                             "val_perplexity": _perplexity(val_loss)})
        improved = val_loss < self.best_val
        if improved:
            self.best_val, self.best_epoch, self.bad_epochs = val_loss, self.epoch + 1, 0
        else:
            self.bad_epochs += 1
            self.stopped_early = patience is not None and self.bad_epochs >= patience
        self.epoch += 1
        self.batch = 0
        return improved

    def best_metrics(self) -> dict[str, float]:
        """The kept epoch's losses; with no finite val loss at all, the last epoch's."""
        best = next((e for e in self.history if e["epoch"] == self.best_epoch),
                    self.history[-1])
        return {"val_loss": best["val_loss"], "val_perplexity": best["val_perplexity"],
                "train_loss": best["train_loss"]}

    def tokens_per_second(self) -> float:
        return self.tokens / max(self.train_seconds, 1e-9)


class LoraRun:
    """One training run: the LoRA model, its optimizer and schedule, the state, the best
    adapter so far, the checkpoints and the MLflow tracker."""

    def __init__(self, settings: LoraSettings, splits: ChatSplits, checkpoints: Checkpoints,
                 mlflow: bool, reporter: Reporter | None = None):
        import torch
        from transformers import AutoModelForCausalLM

        self.settings, self.splits, self.checkpoints = settings, splits, checkpoints
        self.reporter = reporter or Reporter(enabled=False)
        self.state = TrainingState(settings.fingerprint(splits.dataset["hash"]))
        random.seed(settings.seed)
        torch.manual_seed(settings.seed)
        torch.use_deterministic_algorithms(True, warn_only=True)
        base = AutoModelForCausalLM.from_pretrained(splits.base_model_path, dtype=torch.float32)
        self.model = lora_model(base, r=settings.r, alpha=settings.alpha,
                                dropout=settings.dropout, target_modules=settings.target_modules,
                                seed=settings.seed).to(settings.device)
        self.trainable = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.trainable, lr=settings.learning_rate,
                                           weight_decay=0.0)
        total_steps = math.ceil(len(splits.train) / settings.batch_size) * settings.epochs
        self.scheduler = linear_schedule(self.optimizer, int(settings.warmup_ratio * total_steps),
                                         total_steps)
        self.best_adapter: dict[str, Any] | None = None
        self.resumed_from = self._resume() if checkpoints.resume else None
        self.tracker = self._start_tracking(mlflow)
        self._tick = time.perf_counter()

    def _resume(self) -> dict[str, int] | None:
        """Carry on from a checkpoint of this very run, if there is one; where it stood."""
        saved = self.checkpoints.load(self.state.fingerprint)
        if saved is None:
            return None
        self.model.load_state_dict(saved["adapter"], strict=False)
        self.optimizer.load_state_dict(saved["optimizer"])
        self.scheduler.load_state_dict(saved["scheduler"])
        _set_rng_state(saved["rng"])
        self.state = TrainingState(**saved["progress"])
        self.best_adapter = saved["best_adapter"]
        log.info("resuming LoRA training from %s (%s)", self.checkpoints.folder,
                 self.state.position())
        return self.state.position()

    def _start_tracking(self, mlflow: bool) -> MlflowTracker:
        tracker = MlflowTracker(mlflow, run_name="lora-train", prefix="lora.")
        params = self.settings.params()
        tracker.params({**params, "target_modules": ",".join(params["target_modules"])})
        dataset = self.splits.dataset
        tracker.params({"dataset_hash": dataset["hash"],
                        **{f"rows_{k}": v for k, v in dataset["rows"].items()},
                        **{f"examples_{k}": v for k, v in self.splits.counts().items()}})
        return tracker

    def _clock(self) -> None:
        """Add the time since the last call to the training time (a resumed run keeps
        counting from its checkpoint's)."""
        now = time.perf_counter()
        self.state.train_seconds += now - self._tick
        self._tick = now

    def _save_checkpoint(self) -> None:
        self.checkpoints.save(self.model, self.optimizer, self.scheduler, self.state.progress(),
                              self.best_adapter)

    def run_epoch(self, on_step: Callable[[dict[str, Any]], None] | None = None) -> None:
        """Train the rest of this epoch, then validate: one progress phase over both, which
        ends with the epoch's losses."""
        settings = self.settings
        batches = self._epoch_batches()
        val_batches = math.ceil(len(self.splits.val) / settings.batch_size)
        desc = f"LoRA epoch {self.state.epoch + 1}/{settings.epochs}"
        with self.reporter.phase(desc, len(batches) + val_batches) as phase:
            self.train_epoch(batches, on_step, phase.update)
            summary = self.end_epoch(phase.update)
            if self.reporter.enabled:
                phase.close(summary)
            else:
                log.info("%s: %s", desc, summary)

    def _epoch_batches(self) -> list[Sequence[Any]]:
        """This epoch's batches not trained on yet (all of them unless resumed mid-epoch)."""
        order = epoch_order(len(self.splits.train), self.settings.seed, self.state.epoch)
        batches = list(iter_batches(self.splits.train, order, self.settings.batch_size))
        return batches[self.state.batch:]

    def train_epoch(self, batches: list[Sequence[Any]],
                    on_step: Callable[[dict[str, Any]], None] | None,
                    on_batch: Callable[[], None]) -> None:
        """One optimizer step on each of ``batches``; ``on_step`` gets the step, epoch and
        loss, ``on_batch`` is called after each (progress)."""
        epoch = self.state.epoch
        self._tick = time.perf_counter()
        self.model.train()
        for chunk in batches:
            loss = self._step(chunk)
            if self.checkpoints.due(self.state.step):
                self._clock()
                self._save_checkpoint()
            if on_step is not None:
                on_step({"epoch": epoch, "step": self.state.step, "loss": loss})
            on_batch()
        self._clock()

    def _step(self, chunk: Sequence[Any]) -> float:
        """One optimizer step on ``chunk``, recorded and logged; its loss."""
        import torch

        device = self.settings.device
        batch = {k: v.to(device) for k, v in collate(chunk, self.splits.pad_id).items()}
        with _autocast(device):
            loss = self.model(**batch).loss
        loss.backward()
        value = loss.item()
        labelled = int((batch["labels"][:, 1:] != -100).sum())
        torch.nn.utils.clip_grad_norm_(self.trainable, self.settings.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.state.record_step(value, labelled, int(batch["attention_mask"].sum()))
        self.tracker.metrics({"train_loss": value,
                              "learning_rate": self.scheduler.get_last_lr()[0]},
                             step=self.state.step)
        return value

    def end_epoch(self, on_batch: Callable[[], None] | None = None) -> str:
        """Validate, keep the adapter if it is the best yet, decide on stopping, checkpoint;
        the epoch's losses as a line."""
        settings, state = self.settings, self.state
        train_loss = state.epoch_train_loss()
        val_loss = mean_loss(self.model, self.splits.val, settings.batch_size,
                             self.splits.pad_id, settings.device, on_batch) \
            if self.splits.val else train_loss
        if state.end_epoch(train_loss, val_loss, settings.early_stopping_patience):
            self.best_adapter = _trainable_state(self.model)
        entry = state.history[-1]
        self.tracker.metrics({"epoch": entry["epoch"], "epoch_train_loss": train_loss,
                              "val_loss": val_loss, "val_perplexity": entry["val_perplexity"]},
                             step=state.step)
        self._save_checkpoint()
        return (f"train loss {train_loss:.4f}, val loss {val_loss:.4f}"
                + (" (best so far)" if state.best_epoch == entry["epoch"] else "")
                + ("; stopping early" if state.stopped_early else ""))

    def finish(self, output_dir: Path, started: float) -> LoraReport:
        """Write the best adapter and ``training.json`` to ``output_dir``, drop the checkpoint,
        log the results and close tracking."""
        if self.best_adapter is not None:
            self.model.load_state_dict(self.best_adapter, strict=False)
        metrics = self.state.best_metrics()
        with atomic_directory(output_dir) as staging:
            self.model.save_pretrained(staging)
            (staging / TRAINING_INFO).write_text(
                json.dumps(self._training_info(metrics), indent=2, default=str) + "\n")
        self.checkpoints.remove()
        state, dataset = self.state, self.splits.dataset
        self.tracker.metrics({f"best_{k}": v for k, v in metrics.items()})
        self.tracker.tags({"dataset_hash": dataset["hash"], "output_dir": output_dir,
                           "best_epoch": state.best_epoch})
        self.tracker.artifacts(output_dir, "adapter")
        self.tracker.close()
        return LoraReport(output_dir, metrics, state.history, self.settings.params(), dataset,
                          state.best_epoch, state.stopped_early, self.resumed_from,
                          round(time.perf_counter() - started, 2), state.tokens_per_second(),
                          self.tracker.run_id)

    def _training_info(self, metrics: dict[str, float]) -> dict[str, Any]:
        state, splits = self.state, self.splits
        return {"params": self.settings.params(), "base_model_path": splits.base_model_path,
                "dataset": splits.dataset, "examples": splits.counts(),
                "dropped_no_assistant_tokens": splits.dropped, "history": state.history,
                "best_epoch": state.best_epoch, "stopped_early": state.stopped_early,
                "metrics": metrics, "steps": state.step, "tokens": state.tokens,
                "tokens_per_second": round(state.tokens_per_second(), 1),
                "resumed_from": self.resumed_from,
                "trainable_parameters": sum(p.numel() for p in self.trainable)}


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
               on_step: Callable[[dict[str, Any]], None] | None = None,
               progress: bool | Reporter = True) -> LoraReport:
    """Fine-tune LoRA adapters of ``base_model`` on the chat JSONL ``train_path``, validate on
    ``val_path`` each epoch, and write the best adapter to ``output_dir``.

    ``on_step`` is called after every optimizer step (and any checkpoint) with the step,
    epoch and loss. ``cache_dir``/``raw_dir`` are where ``tiny`` is built and from what.
    ``progress``: each epoch's (and a tiny base build's) progress, on stderr or, when logging
    is set up for AFS (``kedro run``), as ``afs.progress`` lines (:mod:`afs.progress`)."""
    started = time.perf_counter()
    settings = LoraSettings(
        str(base_model), r=r, alpha=2 * r if alpha is None else alpha, dropout=dropout,
        target_modules=list(target_modules or DEFAULT_TARGET_MODULES), epochs=epochs,
        learning_rate=learning_rate, batch_size=batch_size, max_length=max_length, seed=seed,
        device=device, early_stopping_patience=early_stopping_patience,
        warmup_ratio=warmup_ratio, max_grad_norm=max_grad_norm)
    output_dir = Path(output_dir).expanduser()
    checkpoints = Checkpoints.beside(output_dir, checkpoint_dir, checkpoint_steps, resume)
    reporter = as_reporter(progress)
    with library_bars(reporter):
        splits = ChatSplits.load(base_model, train_path, val_path, max_length, cache_dir,
                                 raw_dir, reporter)
        run = LoraRun(settings, splits, checkpoints, mlflow, reporter)
        while run.state.running(epochs):
            run.run_epoch(on_step)
        return run.finish(output_dir, started)


def _perplexity(loss: float) -> float:
    return math.exp(loss) if loss == loss and loss < 50 else float("inf")
