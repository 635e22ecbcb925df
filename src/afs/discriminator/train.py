"""Train an ElectraDiscriminator from scratch on real asm and corrupted twins of it.

A plain torch loop (AdamW, linear warm-up then linear decay, class-balanced cross-entropy on
the sequence head plus a per-token replaced-token-detection loss, see ``_fit``),
the best epoch picked on the validation split, metrics on the held-out test split. The output
folder is written to a temporary sibling and renamed into place, so a crash leaves no
half-written model.

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
from afs.discriminator.data import (
    DEFAULT_BLOCK_LINES,
    DEFAULT_STRIDE,
    DEFAULT_WINDOW,
    REAL,
    Example,
    build_examples,
    data_hash,
    read_documents,
)
from afs.discriminator.defaults import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_EPOCHS,
    DEFAULT_HIDDEN,
    DEFAULT_LAYERS,
    DEFAULT_LEARNING_RATE,
    DEFAULT_MAX_LENGTH,
)
from afs.discriminator.model import REAL_LABEL, ElectraDiscriminator, resolve_device
from afs.errors import ConfigError, DataError
from afs.tracking import mlflow_wanted

log = logging.getLogger(__name__)

DEFAULT_WINDOWS = (6, DEFAULT_WINDOW, 12)  # snippet sizes in lines
WARMUP_FRACTION = 0.1
DEFAULT_RTD_WEIGHT = 5.0
THRESHOLD = 0.5


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
    """ROC AUC, precision/recall/accuracy of "real" at ``threshold`` and, per corruption
    kind, the share detected (scored below ``threshold``) and the ROC AUC of the real
    snippets against that kind alone (which mistakes the model can tell, whatever the
    threshold)."""
    from sklearn.metrics import precision_score, recall_score, roc_auc_score

    labels = [e.label for e in examples]
    predicted = [int(s >= threshold) for s in scores]
    metrics: dict[str, Any] = {
        "roc_auc": float(roc_auc_score(labels, scores)) if len(set(labels)) == 2 else float("nan"),
        "precision": float(precision_score(labels, predicted, zero_division=0)),
        "recall": float(recall_score(labels, predicted, zero_division=0)),
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


def _progress(total: int, enabled: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="batch", disable=None if enabled else True,
                leave=False)


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


def _fit(discriminator: ElectraDiscriminator, train: list[Example], val: list[Example], *,
         epochs: int, batch_size: int, learning_rate: float, seed: int,
         progress: bool, rtd_weight: float = DEFAULT_RTD_WEIGHT) -> dict[str, Any]:
    """Joint training of the sequence head (class-balanced cross-entropy on position 0) and
    a throw-away per-token replaced-token-detection head (ELECTRA's own objective; labels
    from the diff between each corruption and its real twin). The token head gives the
    encoder a dense signal - which token is wrong - that one label per snippet does not;
    without it the model stays at chance (loss ln 2) on this small corpus."""
    import torch

    model = discriminator.model
    device = discriminator.device
    sequences = discriminator.encode([e.text for e in train])
    sources = discriminator.encode([e.source or e.text for e in train])
    tokens = [token_labels(seq, src if e.label != REAL_LABEL else None)
              for seq, src, e in zip(sequences, sources, train)]
    labels = torch.tensor([e.label for e in train], dtype=torch.long)
    n_real = int(labels.sum())
    # balanced classes: each real window has about ten corrupted twins
    weights = torch.tensor([len(train) / (2 * max(len(train) - n_real, 1)),
                            len(train) / (2 * max(n_real, 1))], device=device)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    changed = sum(t.count(1 - REAL_LABEL) for t in tokens)
    kept = sum(t.count(REAL_LABEL) for t in tokens)
    token_weights = torch.ones(2, device=device)
    token_weights[1 - REAL_LABEL] = min(20.0, kept / max(changed, 1) / 4)
    token_loss_fn = torch.nn.CrossEntropyLoss(weight=token_weights, ignore_index=-100)
    token_head = torch.nn.Linear(model.config.hidden_size, 2).to(device)
    parameters = list(model.parameters()) + list(token_head.parameters())
    optimizer = torch.optim.AdamW(parameters, lr=learning_rate, weight_decay=0.01)
    steps = epochs * math.ceil(len(train) / batch_size)
    warmup = max(1, int(steps * WARMUP_FRACTION))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup,
                                    max(0.02, (steps - step) / max(steps - warmup, 1))))
    rng = random.Random(seed)
    lengths = [len(s) for s in sequences]
    best: dict[str, Any] = {"val_roc_auc": -1.0, "epoch": 0, "state": None}
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        total = total_tokens = 0.0
        batches = _batches(list(range(len(train))), lengths, batch_size, rng)
        with _progress(len(batches), progress, f"epoch {epoch}/{epochs}") as bar:
            for batch in batches:
                ids, mask = discriminator.collate([sequences[i] for i in batch])
                width = ids.shape[1]
                targets = torch.tensor([tokens[i] + [-100] * (width - len(tokens[i]))
                                        for i in batch], dtype=torch.long, device=device)
                hidden = model.electra(input_ids=ids, attention_mask=mask).last_hidden_state
                logits = model.classifier(hidden)
                loss = loss_fn(logits, labels[batch].to(device))
                token_loss = token_loss_fn(token_head(hidden).reshape(-1, 2), targets.reshape(-1))
                optimizer.zero_grad(set_to_none=True)
                (loss + rtd_weight * token_loss).backward()
                torch.nn.utils.clip_grad_norm_(parameters, 1.0)
                optimizer.step()
                scheduler.step()
                total += float(loss.detach()) * len(batch)
                total_tokens += float(token_loss.detach()) * len(batch)
                bar.update(1)
        entry = {"epoch": epoch, "train_loss": total / len(train),
                 "train_token_loss": total_tokens / len(train)}
        if val:
            entry["val_roc_auc"] = evaluate(discriminator.score_texts([e.text for e in val]),
                                            val)["roc_auc"]
        history.append(entry)
        log.info("discriminator epoch %d: %s", epoch, entry)
        score = entry.get("val_roc_auc", epoch)
        if not val or (score == score and score >= best["val_roc_auc"]):
            best = {"val_roc_auc": score, "epoch": epoch,
                    "state": {k: v.detach().clone() for k, v in model.state_dict().items()}}
    if best["state"] is not None:
        model.load_state_dict(best["state"])
    model.eval()
    return {"history": history, "best_epoch": best["epoch"], "steps": steps}


def _log_mlflow(params: dict[str, Any], metrics: dict[str, Any], output_dir: Path) -> None:
    try:
        import mlflow

        started = mlflow.active_run() is None
        if started:
            mlflow.start_run(run_name="discriminator-train")
        try:
            mlflow.log_params({f"discriminator.{k}": v for k, v in params.items()})
            flat = {k: v for k, v in metrics.items() if isinstance(v, (int, float)) and v == v}
            for group in ("detection_rate", "roc_auc_by_kind"):
                flat.update({f"{group}.{k}": v for k, v in metrics.get(group, {}).items()})
            mlflow.log_metrics({f"discriminator.{k}": float(v) for k, v in flat.items()})
            mlflow.set_tag("discriminator.output_dir", str(output_dir))
        finally:
            if started:
                mlflow.end_run()
    except Exception as exc:  # tracking is a convenience; the model on disk is the result
        log.warning("MLflow logging failed (%s); the model and training.json are written", exc)


def train_discriminator(inputs: Iterable[str | Path], output_dir: str | Path, *,
                        epochs: int = DEFAULT_EPOCHS, batch_size: int = DEFAULT_BATCH_SIZE,
                        learning_rate: float = DEFAULT_LEARNING_RATE, seed: int = 42,
                        max_length: int = DEFAULT_MAX_LENGTH, layers: int = DEFAULT_LAYERS,
                        hidden: int = DEFAULT_HIDDEN, device: str = "auto",
                        windows: Sequence[int] = DEFAULT_WINDOWS, stride: int = DEFAULT_STRIDE,
                        block_lines: int = DEFAULT_BLOCK_LINES, tokenizer: Any = None,
                        log_to_mlflow: bool = True, progress: bool = False,
                        rtd_weight: float = DEFAULT_RTD_WEIGHT) -> TrainReport:
    """Train a discriminator on the asm in ``inputs`` (.asm files, folders, JSONL samples) and
    write it to ``output_dir``: model + tokenizer + ``training.json`` (data hash, sizes,
    seed, held-out metrics). Same inputs and seed, same model (on the same device)."""
    import torch

    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("layers", layers),
                        ("max_length", max_length)):
        if value < 1:
            raise ConfigError(f"{name} must be at least 1, not {value}")
    if hidden < 16 or hidden % max(1, hidden // 64):
        raise ConfigError(f"hidden must be at least 16 and divisible by hidden // 64, not {hidden}")
    started = time.perf_counter()
    output_dir = Path(output_dir).expanduser()
    device = resolve_device(device)
    documents = read_documents(inputs)
    digest = data_hash(documents)
    examples = [e for size in windows
                for e in build_examples(documents, seed=seed, window=size, stride=stride,
                                        block_lines=block_lines)]
    parts = {name: [e for e in examples if e.split == name] for name in ("train", "val", "test")}
    if not parts["train"] or len({e.label for e in parts["train"]}) < 2:
        raise DataError("too little asm to train on: no real snippet with at least 3 "
                        "instructions in the training split", path=", ".join(map(str, inputs)))
    torch.manual_seed(seed)
    random.seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    discriminator = ElectraDiscriminator.create(tokenizer, layers=layers, hidden=hidden,
                                                max_length=max_length, device=device, seed=seed)
    fit = _fit(discriminator, parts["train"], parts["val"], epochs=epochs,
               batch_size=batch_size, learning_rate=learning_rate, seed=seed, progress=progress,
               rtd_weight=rtd_weight)
    held_out = parts["test"] or parts["val"]
    metrics = evaluate(discriminator.score_texts([e.text for e in held_out], batch_size),
                       held_out) if held_out else {"roc_auc": float("nan"), "precision": 0.0,
                                                   "recall": 0.0, "detection_rate": {}}
    metrics["split"] = "test" if parts["test"] else "val"
    seconds = time.perf_counter() - started
    params = {"epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
              "seed": seed, "max_length": max_length, "layers": layers, "hidden": hidden,
              "windows": list(windows), "stride": stride, "block_lines": block_lines,
              "device": device, "rtd_weight": rtd_weight}
    sizes = {name: len(part) for name, part in parts.items()}
    discriminator.training = {**discriminator.training,
        "data_hash": digest, "documents": len(documents), "examples": sizes,
        "real_examples": {n: sum(e.label for e in p) for n, p in parts.items()},
        "params": params, "metrics": metrics, "history": fit["history"],
        "best_epoch": fit["best_epoch"], "steps": fit["steps"], "seconds": round(seconds, 2),
        "parameters": sum(p.numel() for p in discriminator.model.parameters()),
        "input_format": "bos_token + tokens of the code without ; comments (strip_comments), "
                        "hex digits but REP/SEP's as 0 (normalize_numbers: number_shapes), "
                        "truncated to max_length; label 1 = real",
    }
    with atomic_directory(output_dir) as staging:
        discriminator.save(staging)
    if mlflow_wanted(log_to_mlflow):
        _log_mlflow(params, metrics, output_dir)
    return TrainReport(output_dir, metrics, sizes, seconds, digest, params)
