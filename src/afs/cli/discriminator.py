"""`afs discriminator …`: train the ELECTRA asm discriminator (and, appended below, use it).

Library imports live inside the commands so that `afs --help` stays fast. To add a command,
decorate it with ``@discriminator.command("name")`` in this file.
"""

from __future__ import annotations

from pathlib import Path

import click

from afs.cli.group import AfsGroup
from afs.cli.options import (
    UserPath,
    allow_empty_option,
    echo_summary,
    executor_config,
    executor_options,
    path_option,
    seed_option,
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
from afs.quality.profiles import profile_names

DEVICE_CHOICE = click.Choice(["auto", "cpu", "cuda"])


def device_option():
    """``--device auto|cpu|cuda`` (auto: cuda when torch sees a GPU)."""
    return click.option("--device", type=DEVICE_CHOICE, default="auto", show_default=True,
                        help="Where the model runs (auto: cuda when available, else cpu).")


@click.group(cls=AfsGroup)
def discriminator() -> None:
    """ELECTRA discriminator that tells real 65816 asm from corrupted asm.

    `train` builds real/corrupted pairs from an asm corpus (wrong mnemonics, impossible
    addressing modes, wrong immediate widths, broken labels, shuffled lines, …) and trains a
    small ELECTRA classifier from scratch on the CPU or a GPU; the folder it writes is a
    standard transformers model + tokenizer + training.json with held-out metrics.
    """


@discriminator.command("train")
@path_option("--input", "inputs",
             "An .asm file, a folder (every *.asm under it) or a JSONL of samples whose outputs "
             "hold asm; repeat for more.", multiple=True)
@path_option("--output", "output_dir", "Folder to write the model to (replaced atomically).")
@click.option("--epochs", type=int, default=None,
              help=f"The most epochs; training stops earlier when the validation ROC AUC has "
                   f"not improved for --patience epochs [default: training.default_epochs of "
                   f"the AFS config when set, else {DEFAULT_EPOCHS}]")
@click.option("--patience", type=int, default=DEFAULT_PATIENCE, show_default=True,
              help="Epochs without a better validation ROC AUC before training stops.")
@click.option("--epoch-windows", type=int, default=None,
              help="Real windows drawn per epoch, each with a corrupted twin [default: one per "
                   "window start of the training split].")
@click.option("--eval-input", "eval_inputs", type=UserPath(), multiple=True,
              help="A tree the model does not train on (.asm file, folder or JSONL): its "
                   "metrics go to training.json as metrics.unseen; repeat for more.")
@click.option("--threads", type=int, default=None,
              help="CPU threads for torch [default: torch's choice].")
@click.option("--batch-size", type=int, default=None,
              help=f"[default: training.default_batch_size of the AFS config when set, else "
                   f"{DEFAULT_BATCH_SIZE}]")
@click.option("--max-length", type=int, default=DEFAULT_MAX_LENGTH, show_default=True,
              help="Longest input in tokens (longer snippets are truncated).")
@click.option("--learning-rate", type=float, default=None,
              help=f"[default: training.default_learning_rate of the AFS config when set, else "
                   f"{DEFAULT_LEARNING_RATE:g}]")
@click.option("--layers", type=int, default=DEFAULT_LAYERS, show_default=True,
              help="Transformer blocks.")
@click.option("--hidden", type=int, default=DEFAULT_HIDDEN, show_default=True,
              help="Hidden size (attention heads: hidden / 64).")
@seed_option("corruptions, the split and weight initialisation")
@device_option()
@click.option("--no-mlflow", is_flag=True,
              help="Do not log to MLflow even when MLFLOW_TRACKING_URI is set.")
def train(inputs: tuple[Path, ...], output_dir: Path, epochs: int | None, patience: int,
          epoch_windows: int | None, eval_inputs: tuple[Path, ...], threads: int | None,
          batch_size: int | None, max_length: int, learning_rate: float | None, layers: int,
          hidden: int, seed: int, device: str, no_mlflow: bool) -> None:
    """Train a discriminator on real asm and corrupted twins of it, from scratch.

    Progress goes to stderr: bars on a terminal, a line every 30 s with rate and ETA
    otherwise."""
    from afs.config import load_config
    from afs.discriminator.train import train_discriminator
    from afs.progress import Reporter

    # the config's [training] defaults act where the user set them; the built-in ones there
    # are a LoRA fine-tune's, not a from-scratch ELECTRA's
    config = load_config()
    epochs = _first(epochs, config.chosen("training.default_epochs"), DEFAULT_EPOCHS)
    batch_size = _first(batch_size, config.chosen("training.default_batch_size"),
                        DEFAULT_BATCH_SIZE)
    learning_rate = _first(learning_rate, config.chosen("training.default_learning_rate"),
                           DEFAULT_LEARNING_RATE)

    report = train_discriminator(
        list(inputs), output_dir, epochs=epochs, batch_size=batch_size,
        learning_rate=learning_rate, seed=seed, max_length=max_length, layers=layers,
        hidden=hidden, device=device, log_to_mlflow=not no_mlflow,
        progress=Reporter(quiet_for=0.0),  # minutes per epoch: say each one as it starts
        patience=patience, epoch_windows=epoch_windows, eval_inputs=list(eval_inputs),
        threads=threads)
    metrics = report.metrics
    echo_summary(f"{report.examples['train']} train / {report.examples['val']} val / "
                 f"{report.examples['test']} test examples, {report.seconds:.0f}s; held-out "
                 f"ROC AUC {metrics['roc_auc']:.3f}, precision {metrics['precision']:.3f}, "
                 f"recall {metrics['recall']:.3f} -> {report.output_dir}")
    by_kind = sorted(metrics.get("roc_auc_by_kind", {}).items(), key=lambda item: item[1])
    if by_kind:
        click.echo("ROC AUC by corruption kind (real snippets against that kind): "
                   + ", ".join(f"{kind} {auc:.2f}" for kind, auc in by_kind))
    if "unseen" in metrics:
        unseen = metrics["unseen"]
        click.echo(f"unseen tree: ROC AUC {unseen['roc_auc']:.3f}, precision "
                   f"{unseen['precision']:.3f}, recall of real code {unseen['recall']:.3f}")




def _first(*values):
    """The first value that is not None."""
    return next(value for value in values if value is not None)


PROFILE_CHOICE = click.Choice(profile_names())  # the built-in profiles (quality/profiles.yml)


@discriminator.command("score")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), default=None,
              help="ELECTRA model folder [default: discriminator.model_path of the AFS config "
                   "(AFS_DISCRIMINATOR_MODEL_PATH) when set, else the profile's electra_model "
                   "when it exists; without a model the ELECTRA component is left out].")
@path_option("--input", "input_path", "JSONL samples to score.")
@path_option("--output", "output_path", "JSONL to write: each sample with quality_score and "
             "_metadata.quality (components, weights, what was skipped and why).")
@click.option("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, show_default=True,
              help="Texts per discriminator batch (memory against speed).")
@device_option()
@click.option("--profile", type=PROFILE_CHOICE, default=None,
              help="The scoring profile of every sample: its weights, length bounds and the "
                   "min_score `filter` holds it to [default: per domain, each sample by its "
                   "domain's profile as the quality_scoring pipeline chooses it "
                   "(afs/quality/domain_profiles.yml)].")
@executor_options("scoring")
@allow_empty_option()
def score(model_dir: Path | None, input_path: Path, output_path: Path, batch_size: int,
          device: str, profile: str | None, executor: str, ray_address: str | None,
          workers: int | None, allow_empty: bool) -> None:
    """Score samples: ELECTRA, asar validity, entity coverage and length, combined.

    Progress goes to stderr when scoring takes more than a few seconds: a bar on a terminal,
    a line every 30 s with the bytes read, rate and ETA otherwise."""
    from contextlib import nullcontext

    from afs.executors import ray_session
    from afs.executors.shards import shard_size
    from afs.quality.config import ScoringConfig
    from afs.quality.stages import ExecutorScorer, OutputScoring
    from afs.quality.streaming import CHUNK_ROWS, score_jsonl

    config = executor_config(executor, ray_address, workers)
    forced = ScoringConfig.from_profile(profile) if profile else None  # None: per domain
    stage = OutputScoring(forced, model_dir, device, batch_size)
    scorer = ExecutorScorer(stage, config)
    # chunks of whole batches, so that both executors cut the same batches
    chunk_rows = shard_size(config) if config.is_ray else CHUNK_ROWS
    with ray_session(config) if config.is_ray else nullcontext():
        report = score_jsonl(input_path, output_path, scorer=scorer, chunk_rows=chunk_rows,
                             batch_size=batch_size, progress=True,
                             allow_empty=allow_empty)
    echo_summary(f"{report.summary()} -> {output_path}")


@discriminator.command("filter")
@path_option("--input", "input_path", "Scored JSONL (from `afs discriminator score`).")
@path_option("--output", "output_path", "JSONL of the samples kept.")
@click.option("--rejected", "--rejects", "rejected_path", type=UserPath(), required=True,
              help="JSONL of the samples dropped, each with its reject_reason "
                   "(asar_invalid:…, low_quality:…, unscored). --rejects is the same option, "
                   "as the other commands spell it.")
@click.option("--min-score", type=float, default=None,
              help="Lowest quality_score kept, in [0, 1], for every sample [default: the "
                   "min_score of the profile that scored each sample, as the pipeline "
                   "filters].")
@click.option("--keep-invalid-asm", is_flag=True,
              help="Keep samples whose asm fails validation when their score is high enough.")
@allow_empty_option()
def filter_samples(input_path: Path, output_path: Path, rejected_path: Path,
                   min_score: float | None,
                   keep_invalid_asm: bool, allow_empty: bool) -> None:
    """Keep samples scoring at least --min-score; write the others with their reason."""
    from afs.quality.streaming import filter_jsonl

    report = filter_jsonl(input_path, output_path, rejected_path, min_score=min_score,
                          reject_invalid_asm=not keep_invalid_asm, progress=True,
                          allow_empty=allow_empty)
    echo_summary(f"{report.summary()} -> {output_path}; rejected -> {rejected_path}")
