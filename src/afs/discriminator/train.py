"""Train an ElectraDiscriminator from scratch on real asm and corrupted twins of it.

A plain torch loop (AdamW, linear warm-up then linear decay, class-balanced cross-entropy on
the sequence head plus a per-token replaced-token-detection loss, see ``_Trainer``). Nothing
is materialised up front: the real windows are cut once (``data.Snippets``, seconds on a
70k-line tree) and each epoch draws a seeded sample of them with fresh corrupted twins
(``data.epoch_examples``). After each epoch the model scores a fixed validation set; the best
epoch is kept and training stops after ``patience`` epochs without a better validation ROC
AUC. The score is then calibrated on the validation set (``calibration``) and measured on the
held-out test split and on any ``eval_inputs`` (a tree the model never saw). The output folder
is written to a temporary sibling and renamed into place, so a crash leaves no half-written
model.

Progress (preparation, each epoch with its rate and ETA, scoring) goes to stderr when asked:
tqdm bars on a terminal, plain lines otherwise (``progress.Reporter``).

MLflow: params and metrics are logged when ``log_to_mlflow`` and either a run is active (e.g.
under kedro-mlflow) or ``MLFLOW_TRACKING_URI`` is set; otherwise nothing is logged and MLflow
is not imported. A failing MLflow never fails the training.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afs.atomic_dir import atomic_directory
from afs.discriminator.calibration import fit_calibration
from afs.discriminator.data import (
    DEFAULT_BLOCK_LINES,
    DEFAULT_STRIDE,
    DEFAULT_WINDOW,
    REAL,
    Example,
    Snippets,
    data_hash,
    epoch_examples,
    eval_examples,
    read_documents,
)
from afs.discriminator.defaults import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_EPOCHS,
    DEFAULT_HIDDEN,
    DEFAULT_LAYERS,
    DEFAULT_LEARNING_RATE,
    DEFAULT_MAX_LENGTH,
    DEFAULT_PATIENCE,
)
from afs.discriminator.model import REAL_LABEL, ElectraDiscriminator, resolve_device
from afs.progress import Reporter, format_duration
from afs.errors import ConfigError, DataError
from afs.tracking import mlflow_wanted

log = logging.getLogger(__name__)

DEFAULT_WINDOWS = (6, DEFAULT_WINDOW, 12)  # snippet sizes in lines
WARMUP_FRACTION = 0.1
DEFAULT_RTD_WEIGHT = 5.0
THRESHOLD = 0.5
DEFAULT_VAL_WINDOWS = 800    # real windows of the validation set (each with all its twins)
DEFAULT_TEST_WINDOWS = 2500  # likewise for the test split and each unseen tree
MIN_GAIN = 1e-4              # a validation ROC AUC this much better is a better epoch


@dataclass
class TrainReport:
    """What a training run did and how well the model does on the held-out split."""

    output_dir: Path
    metrics: dict[str, Any]
    examples: dict[str, int]
    seconds: float
    data_hash: str
    params: dict[str, Any] = field(default_factory=dict)


def evaluate(scores: Sequence[float], examples: Sequence[Example],
             threshold: float = THRESHOLD) -> dict[str, Any]:
    """ROC AUC, precision/recall/accuracy of "real" at ``threshold`` (``recall`` is the share
    of real code kept: not flagged), the share of corrupted code detected and, per corruption
    kind, the share detected (scored below ``threshold``) and the ROC AUC of the real snippets
    against that kind alone (which mistakes the model can tell, whatever the threshold)."""
    from sklearn.metrics import precision_score, recall_score, roc_auc_score

    labels = [e.label for e in examples]
    predicted = [int(s >= threshold) for s in scores]
    corrupted_scores = [s for s, y in zip(scores, labels) if y != REAL_LABEL]
    metrics: dict[str, Any] = {
        "roc_auc": float(roc_auc_score(labels, scores)) if len(set(labels)) == 2 else float("nan"),
        "precision": float(precision_score(labels, predicted, zero_division=0)),
        "recall": float(recall_score(labels, predicted, zero_division=0)),
        "detected": (sum(s < threshold for s in corrupted_scores)
                     / max(len(corrupted_scores), 1)),
        "accuracy": sum(p == y for p, y in zip(predicted, labels)) / max(len(labels), 1),
        "threshold": threshold, "n": len(labels), "n_real": sum(labels),
    }
    detection: dict[str, float] = {}
    auc_by_kind: dict[str, float] = {}
    real = [s for s, e in zip(scores, examples) if e.label == REAL_LABEL]
    for kind in sorted({e.kind for e in examples} - {REAL}):
        corrupted = [s for s, e in zip(scores, examples) if e.kind == kind]
        detection[kind] = sum(s < threshold for s in corrupted) / len(corrupted)
        if real:
            auc_by_kind[kind] = float(roc_auc_score([1] * len(real) + [0] * len(corrupted),
                                                    real + corrupted))
    metrics["detection_rate"] = detection
    metrics["roc_auc_by_kind"] = auc_by_kind
    return metrics


def _batches(indices: list[int], lengths: list[int], batch_size: int,
             rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length (shuffle, bucket by length in chunks, shuffle)."""
    rng.shuffle(indices)
    chunk = batch_size * 16
    batches = []
    for start in range(0, len(indices), chunk):
        part = sorted(indices[start:start + chunk], key=lambda i: lengths[i])
        batches += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def token_labels(sequence: Sequence[int], source: Sequence[int] | None) -> list[int]:
    """Replaced-token-detection labels of ``sequence`` (``[bos] + ids``): 1 for a token that
    is as in the real snippet ``source``, 0 for one the corruption changed or moved (from a
    diff of the two id lists), -100 (ignored) for ``bos``. A real snippet (``source`` None)
    is all 1."""
    import difflib

    labels = [-100] + [REAL_LABEL] * (len(sequence) - 1)
    if source is None:
        return labels
    matcher = difflib.SequenceMatcher(None, list(source[1:]), list(sequence[1:]),
                                      autojunk=False)
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if j1 == j2:  # tokens deleted: mark the neighbours of the gap
            j1, j2 = max(j1 - 1, 0), min(j1 + 1, len(sequence) - 1)
        for j in range(j1, j2):
            labels[j + 1] = 1 - REAL_LABEL
    return labels


class _Encoded:
    """Token ids and RTD labels of one epoch's examples; real snippets are encoded once per
    run (``cache``), corruptions once per epoch."""

    def __init__(self, discriminator: ElectraDiscriminator, examples: Sequence[Example],
                 cache: dict[str, list[int]]):
        missing = sorted({e.source or e.text for e in examples} - cache.keys())
        cache.update(zip(missing, discriminator.encode(missing)))
        twins = [e.text for e in examples if e.label != REAL_LABEL]
        twin_ids = iter(discriminator.encode(twins))
        self.sequences: list[list[int]] = []
        self.tokens: list[list[int]] = []
        for example in examples:
            if example.label == REAL_LABEL:
                sequence = cache[example.text]
                self.tokens.append(token_labels(sequence, None))
            else:
                sequence = next(twin_ids)
                self.tokens.append(token_labels(sequence, cache[example.source]))
            self.sequences.append(sequence)
        self.labels = [e.label for e in examples]


class _Trainer:
    """Three losses, one backward pass: ELECTRA's replaced-token detection on every token
    (labels from the diff between each corruption and its real twin: the dense signal - which
    token is wrong - that one label per snippet does not give), the snippet's label on its
    most suspicious token's margin (``model.token_margins``: the score ``score_texts`` gives),
    and the same label on the sequence head (position 0), which keeps the folder a working
    ``AutoModelForSequenceClassification``. Classes are weighted to count equally. On the
    sequence head alone the loss sits at ln 2 for thousands of steps while the token loss
    falls from the first epoch, so the score is read from the token head."""

    def __init__(self, discriminator: ElectraDiscriminator, *, learning_rate: float,
                 steps: int, warmup: int, rtd_weight: float, first: _Encoded):
        import torch

        self.discriminator = discriminator
        self.model = discriminator.model
        self.token_head = discriminator.token_head
        self.device = discriminator.device
        self.rtd_weight = rtd_weight
        n_real = sum(first.labels)
        total = len(first.labels)
        weights = torch.tensor([total / (2 * max(total - n_real, 1)),
                                total / (2 * max(n_real, 1))], device=self.device)
        self.class_weights = weights
        self.loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
        changed = sum(t.count(1 - REAL_LABEL) for t in first.tokens)
        kept = sum(t.count(REAL_LABEL) for t in first.tokens)
        token_weights = torch.ones(2, device=self.device)
        token_weights[1 - REAL_LABEL] = min(20.0, kept / max(changed, 1) / 4)
        self.token_loss_fn = torch.nn.CrossEntropyLoss(weight=token_weights, ignore_index=-100)
        self.parameters = list(self.model.parameters()) + list(self.token_head.parameters())
        self.optimizer = torch.optim.AdamW(self.parameters, lr=learning_rate, weight_decay=0.01)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: min((step + 1) / warmup,
                                             max(0.02, (steps - step) / max(steps - warmup, 1))))

    def train(self) -> None:
        self.model.train()
        self.token_head.train()

    def step(self, encoded: _Encoded, batch: list[int]) -> tuple[float, float]:
        """One optimiser step on ``batch`` (indexes into ``encoded``): the snippet loss (on
        the token margins) and the token loss."""
        import torch
        from torch.nn.functional import binary_cross_entropy_with_logits

        from afs.discriminator.model import token_margins

        ids, mask = self.discriminator.collate([encoded.sequences[i] for i in batch])
        width = ids.shape[1]
        targets = torch.tensor([encoded.tokens[i] + [-100] * (width - len(encoded.tokens[i]))
                                for i in batch], dtype=torch.long, device=self.device)
        labels = torch.tensor([encoded.labels[i] for i in batch], dtype=torch.long,
                              device=self.device)
        hidden = self.model.electra(input_ids=ids, attention_mask=mask).last_hidden_state
        token_logits = self.token_head(hidden)
        head_loss = self.loss_fn(self.model.classifier(hidden), labels)
        snippet_loss = binary_cross_entropy_with_logits(
            token_margins(token_logits, mask), labels.float(),
            weight=self.class_weights[labels])
        token_loss = self.token_loss_fn(token_logits.reshape(-1, 2), targets.reshape(-1))
        self.optimizer.zero_grad(set_to_none=True)
        (head_loss + snippet_loss + self.rtd_weight * token_loss).backward()
        torch.nn.utils.clip_grad_norm_(self.parameters, 1.0)
        self.optimizer.step()
        self.scheduler.step()
        return float(snippet_loss.detach()), float(token_loss.detach())


def _fit(discriminator: ElectraDiscriminator, snippets: Snippets, val: list[Example], *,
         epochs: int, batch_size: int, learning_rate: float, epoch_windows: int | None,
         twins: int, patience: int, reporter: Reporter,
         rtd_weight: float = DEFAULT_RTD_WEIGHT) -> dict[str, Any]:
    """Epochs of fresh samples until ``epochs`` or ``patience`` epochs without a better
    validation ROC AUC; the model is left at its best epoch."""
    train_windows = snippets.split("train")
    cache: dict[str, list[int]] = {}
    inapplicable: set[tuple[str, str]] = set()

    def encoded_epoch(epoch: int) -> _Encoded:
        examples = epoch_examples(train_windows, snippets, epoch, size=epoch_windows,
                                  twins=twins, inapplicable=inapplicable)
        return _Encoded(discriminator, examples, cache)

    encoded = encoded_epoch(1)
    per_epoch = math.ceil(len(encoded.labels) / batch_size)
    steps = epochs * per_epoch
    trainer = _Trainer(discriminator, learning_rate=learning_rate, steps=steps,
                       warmup=max(1, min(int(steps * WARMUP_FRACTION), per_epoch)),
                       rtd_weight=rtd_weight, first=encoded)
    rng = random.Random(snippets.seed)
    best: dict[str, Any] = {"val_roc_auc": -1.0, "epoch": 0, "state": None}
    history: list[dict[str, Any]] = []
    val_texts = [e.text for e in val]
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        if epoch > 1:
            encoded = encoded_epoch(epoch)
        trainer.train()
        total = total_tokens = 0.0
        lengths = [len(s) for s in encoded.sequences]
        batches = _batches(list(range(len(lengths))), lengths, batch_size, rng)
        with reporter.phase(f"epoch {epoch}/{epochs}", len(batches)) as phase:
            for batch in batches:
                loss, token_loss = trainer.step(encoded, batch)
                total += loss * len(batch)
                total_tokens += token_loss * len(batch)
                phase.update(1)
            train_seconds = time.perf_counter() - started
            entry: dict[str, Any] = {"epoch": epoch, "examples": len(lengths),
                                     "train_loss": total / len(lengths),
                                     "train_token_loss": total_tokens / len(lengths)}
            if val:
                scored = evaluate(discriminator.score_texts(val_texts, 256), val)
                entry["val_roc_auc"] = scored["roc_auc"]
                entry["val_roc_auc_by_kind"] = scored["roc_auc_by_kind"]
            entry["seconds"] = round(time.perf_counter() - started, 2)
            entry["examples_per_second"] = round(len(lengths) / train_seconds, 1)
            history.append(entry)
            score = entry.get("val_roc_auc", float(epoch))
            if not val or (score == score and score > best["val_roc_auc"] + MIN_GAIN):
                best = {"val_roc_auc": score, "epoch": epoch,
                        "state": {name: {k: v.detach().clone() for k, v in part.state_dict().items()}
                                  for name, part in (("model", discriminator.model),
                                                     ("token_head", discriminator.token_head))}}
            stale = epoch - best["epoch"]
            left = min(epochs - epoch, max(patience - stale, 0)) if val else epochs - epoch
            mean = sum(h["seconds"] for h in history) / len(history)
            phase.close(f"train loss {entry['train_loss']:.3f}, val ROC AUC "
                        f"{entry.get('val_roc_auc', float('nan')):.3f} (best "
                        f"{best['val_roc_auc']:.3f} at epoch {best['epoch']}), "
                        f"{entry['examples_per_second']:.0f} examples/s; ETA at most "
                        f"{format_duration(left * mean)} (early stopping)")
        log.info("discriminator epoch %d: %s", epoch, entry)
        if val and stale >= patience:
            break
    if best["state"] is not None:
        discriminator.model.load_state_dict(best["state"]["model"])
        discriminator.token_head.load_state_dict(best["state"]["token_head"])
    discriminator.model.eval()
    discriminator.token_head.eval()
    return {"history": history, "best_epoch": best["epoch"], "steps": steps,
            "epochs_run": len(history), "stopped_early": len(history) < epochs}


def _log_mlflow(params: dict[str, Any], metrics: dict[str, Any], history: list[dict],
                output_dir: Path) -> None:
    try:
        import mlflow

        started = mlflow.active_run() is None
        if started:
            mlflow.start_run(run_name="discriminator-train")
        try:
            mlflow.log_params({f"discriminator.{k}": v for k, v in params.items()})
            mlflow.log_metrics({f"discriminator.{k}": v for k, v in flat_metrics(metrics).items()})
            for entry in history:
                mlflow.log_metrics({f"discriminator.epoch.{k}": float(v) for k, v in entry.items()
                                    if isinstance(v, (int, float)) and k != "epoch"},
                                   step=entry["epoch"])
            mlflow.set_tag("discriminator.output_dir", str(output_dir))
        finally:
            if started:
                mlflow.end_run()
    except Exception as exc:  # tracking is a convenience; the model on disk is the result
        log.warning("MLflow logging failed (%s); the model and training.json are written", exc)


def flat_metrics(metrics: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Numbers of a metrics dict, nested keys joined by dots (NaN left out)."""
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flat_metrics(value, name + "."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
            flat[name] = float(value)
    return flat


def _held_out(discriminator: ElectraDiscriminator, examples: list[Example], batch_size: int,
              reporter: Reporter, what: str) -> dict[str, Any]:
    started = time.perf_counter()
    metrics = evaluate(discriminator.score_texts([e.text for e in examples], batch_size),
                       examples)
    reporter.line(f"{what}: ROC AUC {metrics['roc_auc']:.3f} on {len(examples)} examples "
                  f"({format_duration(time.perf_counter() - started)})")
    return metrics


def unseen_examples(inputs: Iterable[str | Path], *, seed: int, windows: Sequence[int],
                    stride: int, block_lines: int, max_windows: int) -> list[Example]:
    """Held-out examples of a whole tree (every block counts as test)."""
    snippets = Snippets(read_documents(inputs), seed=seed, windows=windows, stride=stride,
                        block_lines=block_lines, ratios=(0.0, 0.0, 1.0))
    return eval_examples(snippets.windows, snippets, max_windows=max_windows)


def train_discriminator(inputs: Iterable[str | Path], output_dir: str | Path, *,
                        epochs: int = DEFAULT_EPOCHS, batch_size: int = DEFAULT_BATCH_SIZE,
                        learning_rate: float = DEFAULT_LEARNING_RATE, seed: int = 42,
                        max_length: int = DEFAULT_MAX_LENGTH, layers: int = DEFAULT_LAYERS,
                        hidden: int = DEFAULT_HIDDEN, device: str = "auto",
                        windows: Sequence[int] = DEFAULT_WINDOWS, stride: int = DEFAULT_STRIDE,
                        block_lines: int = DEFAULT_BLOCK_LINES, tokenizer: Any = None,
                        log_to_mlflow: bool = True, progress: bool | Reporter = False,
                        rtd_weight: float = DEFAULT_RTD_WEIGHT,
                        patience: int = DEFAULT_PATIENCE, epoch_windows: int | None = None,
                        twins: int = 1, val_windows: int = DEFAULT_VAL_WINDOWS,
                        test_windows: int = DEFAULT_TEST_WINDOWS,
                        eval_inputs: Sequence[str | Path] = (),
                        threads: int | None = None) -> TrainReport:
    """Train a discriminator on the asm in ``inputs`` (.asm files, folders, JSONL samples) and
    write it to ``output_dir``: model + tokenizer + ``training.json`` (data hash, sizes,
    seed, calibration, per-epoch history, held-out metrics, and ``unseen`` metrics on
    ``eval_inputs`` when given). ``epochs`` is the most; training stops after ``patience``
    epochs without a better validation ROC AUC. An epoch is ``epoch_windows`` real windows
    (default: as many as there are window starts in the training split) each with ``twins``
    corruptions. Same inputs and seed, same model (on the same device and thread count)."""
    import torch

    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("layers", layers),
                        ("max_length", max_length), ("patience", patience), ("twins", twins),
                        ("val_windows", val_windows), ("test_windows", test_windows)):
        if value < 1:
            raise ConfigError(f"{name} must be at least 1, not {value}")
    if hidden < 16 or hidden % max(1, hidden // 64):
        raise ConfigError(f"hidden must be at least 16 and divisible by hidden // 64, not {hidden}")
    reporter = progress if isinstance(progress, Reporter) else Reporter(enabled=bool(progress))
    started = time.perf_counter()
    output_dir = Path(output_dir).expanduser()
    device = resolve_device(device)
    if threads:
        torch.set_num_threads(threads)
    documents = read_documents(inputs)  # a missing input is an error before any progress
    reporter.line(f"preparing: {len(documents)} documents read; cutting windows, building the "
                  "validation set")
    digest = data_hash(documents)
    snippets = Snippets(documents, seed=seed, windows=windows, stride=stride,
                        block_lines=block_lines)
    parts = {name: snippets.split(name) for name in ("train", "val", "test")}
    if not parts["train"]:
        raise DataError("too little asm to train on: no real snippet with at least 3 "
                        "instructions in the training split", path=", ".join(map(str, inputs)))
    if epoch_windows is None:  # one window per start: the sizes overlap, an epoch need not
        epoch_windows = math.ceil(len(parts["train"]) / len(windows))
    val = eval_examples(parts["val"], snippets, max_windows=val_windows)
    prep_seconds = time.perf_counter() - started
    reporter.line(f"preparing: done in {format_duration(prep_seconds)}: {len(documents)} "
                  f"documents, {len(snippets.windows)} real windows ({len(parts['train'])} "
                  f"train / {len(parts['val'])} val / {len(parts['test'])} test), "
                  f"{len(val)} validation examples; {epoch_windows} windows x (1 real + "
                  f"{twins} twins) per epoch, at most {epochs} epochs, "
                  f"{torch.get_num_threads()} threads")
    torch.manual_seed(seed)
    random.seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    discriminator = ElectraDiscriminator.create(tokenizer, layers=layers, hidden=hidden,
                                                max_length=max_length, device=device, seed=seed)
    fit = _fit(discriminator, snippets, val, epochs=epochs, batch_size=batch_size,
               learning_rate=learning_rate, epoch_windows=epoch_windows, twins=twins,
               patience=patience, reporter=reporter, rtd_weight=rtd_weight)
    train_seconds = time.perf_counter() - started - prep_seconds
    if val:
        discriminator.calibration = fit_calibration(
            discriminator.margins([e.text for e in val], 256), [e.label for e in val])
    test = eval_examples(parts["test"], snippets, max_windows=test_windows)
    held_out = test or val
    metrics = _held_out(discriminator, held_out, 256, reporter, "test split") if held_out \
        else {"roc_auc": float("nan"), "precision": 0.0, "recall": 0.0, "detection_rate": {}}
    metrics["split"] = "test" if test else "val"
    if eval_inputs:
        unseen = unseen_examples(eval_inputs, seed=seed, windows=windows, stride=stride,
                                 block_lines=block_lines, max_windows=test_windows)
        metrics["unseen"] = _held_out(discriminator, unseen, 256, reporter, "unseen tree")
        metrics["unseen"]["inputs"] = [str(p) for p in eval_inputs]
    seconds = time.perf_counter() - started
    params = {"epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
              "seed": seed, "max_length": max_length, "layers": layers, "hidden": hidden,
              "windows": list(windows), "stride": stride, "block_lines": block_lines,
              "device": device, "rtd_weight": rtd_weight, "patience": patience,
              "epoch_windows": epoch_windows, "twins": twins, "val_windows": val_windows,
              "test_windows": test_windows, "threads": torch.get_num_threads()}
    sizes = {"train": fit["history"][0]["examples"] if fit["history"] else 0,
             "val": len(val), "test": len(test)}
    discriminator.training = {**discriminator.training,
        "data_hash": digest, "documents": len(documents), "examples": sizes,
        "real_windows": {n: len(p) for n, p in parts.items()},
        "params": params, "metrics": metrics, "history": fit["history"],
        "best_epoch": fit["best_epoch"], "epochs_run": fit["epochs_run"],
        "stopped_early": fit["stopped_early"], "steps": fit["steps"],
        "seconds": round(seconds, 2), "prep_seconds": round(prep_seconds, 2),
        "train_seconds": round(train_seconds, 2),
        "parameters": sum(p.numel() for p in discriminator.model.parameters()),
        "input_format": "bos_token + tokens of the code without ; comments (strip_comments), "
                        "hex digits but REP/SEP's as 0 (normalize_numbers: number_shapes), "
                        "mnemonics in capitals with lower-case width suffixes "
                        "(normalize_mnemonics: mnemonic_case), "
                        "truncated to max_length; label 1 = real; margin = the lowest "
                        "logit(original) - logit(replaced) of the token head over the code "
                        "tokens; P(real) = sigmoid(a * margin + b) (calibration)",
    }
    with atomic_directory(output_dir) as staging:
        discriminator.save(staging)
    reporter.line(f"written: {output_dir} ({format_duration(seconds)} in all)")
    if mlflow_wanted(log_to_mlflow):
        _log_mlflow(params, metrics, fit["history"], output_dir)
    return TrainReport(output_dir, metrics, sizes, seconds, digest, params)
