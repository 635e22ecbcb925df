"""`afs training …`: curate training data from the shell.

Each command parses its flags, calls the library function that does the work (the same one
the Python API and the Kedro pipeline call) and prints a one-line summary. Library imports
live inside the commands so that `afs --help` stays fast.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import click

from afs.cli.group import AfsGroup
from afs.cli.options import (
    UserPath,
    allow_empty_option,
    counted,
    echo_summary,
    executor_config,
    executor_options,
    input_option,
    output_option,
    parse_weights,
    path_option,
    ratio_option,
    rejects_note,
    rejects_option,
    rejects_path_for,
    seed_option,
    show_progress,
)
from afs.curation.choices import GROUP_BY_CHOICES, SCARCE_BELOW, STRATIFY_CHOICES
from afs.samples.choices import ON_ERROR_CHOICES
from afs.samples.formats import FORMATS, THINKING_MODES  # the choices' light homes (no pandas)
from afs.samples.reasons import reason_counts

# The experiment registry's commands live in their own module, imported when named.
REGISTRY_COMMANDS = {
    "registry-create": "afs.cli.registry:registry_create",
    "registry-list": "afs.cli.registry:registry_list",
    "registry-info": "afs.cli.registry:registry_info",
}


@contextlib.contextmanager
def curation_notes_on_stderr() -> Iterator[None]:
    """The curation library's INFO lines (its rules at work: a scarce group taken whole, a
    buffer the threshold keeps under top_ratio) as ``note: …`` lines on stderr, beside the
    ``warning: …`` lines of what the user must act on; a Kedro run logs the same lines as INFO."""
    handler = logging.StreamHandler(click.get_text_stream("stderr"))
    handler.setFormatter(logging.Formatter("note: %(message)s"))
    handler.setLevel(logging.INFO)
    logger = logging.getLogger("afs.curation")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@click.group(cls=AfsGroup, lazy_subcommands=REGISTRY_COMMANDS)
def training() -> None:
    """Curate training data: rehearsal buffers, rebalancing, splits and trainer formats;
    register training experiments in the project's MLflow store (registry-*).

    Every command reads and writes JSONL samples, writes its outputs atomically, puts each
    sample it drops (with the reason) in a rejects file, and ends with a one-line summary.
    """


@training.command("rehearsal-build")
@input_option("JSONL training data of the earlier model version.")
@click.option("--version", "version", default=None,
              help="Version label stored in each sample's provenance [default: the input file's name].")
@output_option("JSONL file to write the rehearsal buffer to.")
@ratio_option("--top-ratio", 0.3, "Share of the input to keep in the buffer, best quality first.")
@click.option("--min-score", type=float, default=0.0, show_default=True,
              help="Quality threshold in [0, 1]: samples below it, or without a quality_score, "
                   "are never kept.")
@click.option("--max-per-domain", type=int, default=None,
              help="Keep at most this many samples per domain [default: no cap].")
@click.option("--no-diversity", is_flag=True,
              help="Rank by score alone: keep near-duplicate instructions and do not follow the "
                   "input's domain/source mix.")
@seed_option("the buffer's config; the selection itself is deterministic, so the output does "
             "not depend on it")
@rejects_option()
def rehearsal_build(input_path: Path, version: str | None, output_path: Path, top_ratio: float,
                    min_score: float, max_per_domain: int | None, no_diversity: bool, seed: int,
                    rejects_path: Path | None) -> None:
    """Build a rehearsal buffer from an earlier version's training data.

    Keeps the best --top-ratio of the input: samples under --min-score are out, and (unless
    --no-diversity) near-duplicate instructions keep only their best sample and the buffer
    follows the input's domain/source mix. Mix the buffer into new data with rehearsal-mix.
    """
    from afs.curation.rehearsal import RehearsalBuffer, RehearsalBufferConfig

    buffer = RehearsalBuffer(RehearsalBufferConfig(
        quality_threshold=min_score, top_ratio=top_ratio, enable_diversity=not no_diversity,
        max_per_domain=max_per_domain, seed=seed))
    buffer.load_from_jsonl(input_path, version=version, progress=show_progress())
    with curation_notes_on_stderr():
        buffer.select_top_samples()
    written_rejects = buffer.save_with_rejects(
        output_path, rejects_path_for(output_path, rejects_path), progress=show_progress())
    stats = buffer.stats()
    versions = ", ".join(stats["loaded_by_version"])
    echo_summary(f"{stats['loaded']} samples ({versions}) -> {stats['selected']} kept -> "
                 f"{output_path}" + rejects_note(stats["rejected_by_reason"], written_rejects))


@training.command("rehearsal-mix")
@path_option("--buffer", "buffer_path",
             "Rehearsal buffer JSONL written by rehearsal-build (best samples first).")
@path_option("--new-data", "new_data_path",
             "JSONL of the new version's training data (all of it is kept).")
@ratio_option("--rehearsal-ratio", 0.3,
              "Share of the output that comes from the buffer, in [0, 1): 0.3 with 700 new "
              "samples adds 300 (fewer if the buffer has fewer).")
@output_option("JSONL file to write the mixed training data to.")
@click.option("--shuffle/--no-shuffle", default=True, show_default=True,
              help="Shuffle the mix, or keep new samples first and buffer samples after.")
@seed_option("the shuffle; the same seed gives the same order")
@rejects_option()
def rehearsal_mix(buffer_path: Path, new_data_path: Path, rehearsal_ratio: float,
                  output_path: Path, shuffle: bool, seed: int, rejects_path: Path | None) -> None:
    """Mix a rehearsal buffer into new training data.

    Takes the buffer's first samples so that they make up --rehearsal-ratio of the output.
    Buffer samples already in the new data are skipped, never doubled; buffer samples not
    needed go to the rejects file as rehearsal_surplus.
    """
    from afs.curation.rehearsal import mix_rehearsal
    from afs.samples import read_jsonl_frame
    from afs.samples.jsonl import write_kept_and_rejects

    buffer, _ = read_jsonl_frame(buffer_path, progress=show_progress())
    new, _ = read_jsonl_frame(new_data_path, progress=show_progress())
    mixed, rejects = mix_rehearsal(buffer, new, rehearsal_ratio, shuffle=shuffle, seed=seed)
    written_rejects = write_kept_and_rejects(mixed, output_path, rejects,
                                             rejects_path_for(output_path, rejects_path),
                                             progress=show_progress())
    echo_summary(f"{len(new)} new + {len(mixed) - len(new)} rehearsal = {len(mixed)} samples -> "
                 f"{output_path}"
                 + rejects_note(reason_counts(rejects.get("reject_reason", ())), written_rejects))


@training.command("rebalance")
@input_option("A JSONL file to mix; repeat once per file. With --group-by file its name without "
              ".jsonl is the group --weight names (oracle.jsonl -> oracle).", multiple=True)
@output_option("JSONL file to write the rebalanced data to.")
@click.option("--weight", "weights", multiple=True, required=True, metavar="NAME=W",
              help="Weight of group NAME in the output, e.g. oracle=0.4; repeat once per group. "
                   "Weights are relative (they need not sum to 1); groups without one are dropped.")
@click.option("--min-quality-score", type=float, default=None,
              help="Drop samples scoring below this, or without a quality_score "
                   "[default: keep all].")
@click.option("--group-by", type=click.Choice(GROUP_BY_CHOICES), default="file",
              show_default=True,
              help="What --weight names: input files, generation sources (origin, as "
                   "data_generation stamps it in _metadata), sample domains or sample sources.")
@click.option("--total", type=int, default=None,
              help="Samples to write; a group short of its share gives all it has and the "
                   "others share the rest [default: the largest mix in which the groups that "
                   "are not scarce honour the weights without repeating a sample].")
@click.option("--allow-oversample", is_flag=True,
              help="Repeat the samples of a scarce group up to its share (and let --total "
                   "exceed the samples there are).")
@click.option("--scarce-below", type=click.FloatRange(0, 1), default=SCARCE_BELOW,
              show_default=True,
              help="A group holding fewer than this fraction of its weight's share of the "
                   "samples is scarce: it gives all it has and does not cap the other groups. "
                   "0: the strict mix, as large as the scarcest group allows.")
@seed_option("which samples each group keeps and the output order")
@click.option("--no-shuffle", is_flag=True,
              help="Do not shuffle: write each group's samples together, groups in name order.")
@rejects_option()
def rebalance(input_path: tuple[Path, ...], output_path: Path, weights: tuple[str, ...],
              min_quality_score: float | None, group_by: str, total: int | None,
              allow_oversample: bool, scarce_below: float, seed: int, no_shuffle: bool,
              rejects_path: Path | None) -> None:
    """Mix several datasets so that each group gets its --weight share of the output.

    A group too small for its weight (see --scarce-below) gives all it has, says so on stderr
    (a `note:` line) and does not shrink the others. Samples are drawn without repeats (unless
    --allow-oversample); each one left out goes to the rejects file with its reason
    (low_quality, no_weight:<group>, rebalance_cap:<group>). The summary ends with each
    group's weight asked -> got.
    """
    from afs.curation.rebalance import rebalance_datasets
    from afs.samples.jsonl import write_kept_and_rejects

    with curation_notes_on_stderr():
        result = rebalance_datasets(
            input_path, parse_weights(weights), min_quality_score=min_quality_score,
            shuffle=not no_shuffle, seed=seed, group_by=group_by, total=total,
            allow_oversample=allow_oversample, progress=show_progress(),
            scarce_below=scarce_below)
    written_rejects = write_kept_and_rejects(result.frame, output_path, result.rejects,
                                             rejects_path_for(output_path, rejects_path),
                                             progress=show_progress())
    counts = reason_counts(result.rejects.get("reject_reason", ()))
    echo_summary(f"{counted(len(input_path), 'input')} -> {len(result)} samples -> {output_path}"
                 + rejects_note(counts, written_rejects)
                 + f"; weights asked -> got: {result.report.describe_weights()}")


@training.command("dedup")
@input_option("A JSONL file of samples; repeat for more (read in the order given, as one set).",
              multiple=True)
@output_option("JSONL file to write the kept samples to.")
@rejects_option()
@click.option("--threshold", type=float, default=0.8, show_default=True,
              help="Estimated Jaccard similarity (MinHash over token shingles) at which two "
                   "samples are near duplicates.")
@click.option("--num-perm", type=int, default=128, show_default=True,
              help="MinHash permutations (more: a closer estimate, slower).")
@click.option("--shingle-size", type=int, default=5, show_default=True,
              help="ASM-tokenizer tokens per shingle.")
@click.option("--exact-only", is_flag=True,
              help="Drop exact duplicates only (same normalised instruction and output).")
@seed_option("the MinHash permutations")
@executor_options("deduplication", work_dir=True)
@allow_empty_option()
def dedup(input_path: tuple[Path, ...], output_path: Path, rejects_path: Path | None,
          threshold: float, num_perm: int, shingle_size: int, exact_only: bool, seed: int,
          executor: str, ray_address: str | None, workers: int | None, work_dir: Path | None,
          shard_rows: int, allow_empty: bool) -> None:
    """Drop exact then near duplicates across the inputs, keeping each cluster's best sample.

    The best sample has the highest quality_score, then the smallest sample_id. Kept samples
    in a cluster get _metadata.dup_cluster (the kept sample's id); dropped ones go to the
    rejects file with duplicate_of:<id> or near_duplicate_of:<id>. The inputs are streamed
    through Parquet shards, so the set need not fit in memory; with --executor ray the
    clusters are computed on Ray Data, with the same result. The same rule as the
    quality_scoring pipeline's dedup step.
    """
    from afs.dedup.config import DedupConfig
    from afs.dedup.files import dedup_files

    rejects = rejects_path_for(output_path, rejects_path)
    config = DedupConfig(threshold=threshold, num_perm=num_perm, shingle_size=shingle_size,
                         seed=seed, near=not exact_only)
    executor_settings = executor_config(executor, ray_address, workers, work_dir=work_dir,
                                        shard_rows=shard_rows)
    report = dedup_files(input_path, output_path, rejects, config, executor_settings,
                         progress=True, allow_empty=allow_empty)
    echo_summary(f"{counted(len(input_path), 'input')}, {report.rows} samples -> "
                 f"{report.kept} kept, "
                 f"{report.clusters} clusters -> {output_path}"
                 + rejects_note(report.reasons, rejects if report.rejected else None)
                 + (" (resumed)" if report.shards_reused else ""))


@training.command("prepare")
@input_option("JSONL dataset to split.")
@path_option("--output", "output_path",
             "Directory to write train.jsonl, val.jsonl and test.jsonl to (created if needed).")
@ratio_option("--train-ratio", 0.8, "Share of samples for training.")
@ratio_option("--val-ratio", 0.1, "Share of samples for validation.")
@ratio_option("--test-ratio", None,
              "Share of samples for testing [default: what train and val leave]. "
              "The three must sum to 1.")
@click.option("--stratify-by", type=click.Choice(STRATIFY_CHOICES), default="domain",
              show_default=True,
              help="Keep this field's mix the same in every split, or none.")
@seed_option("which samples go to which split")
@allow_empty_option()
def prepare(input_path: Path, output_path: Path, train_ratio: float, val_ratio: float,
            test_ratio: float | None, stratify_by: str, seed: int, allow_empty: bool) -> None:
    """Split a dataset into train/val/test files without leaks.

    Samples with the same instruction and output (ignoring case and spacing) always land in
    the same split, so the test set never holds a copy of a training sample.
    """
    from afs.curation.split import split_dataset, write_splits
    from afs.samples import read_jsonl_frame

    frame, _ = read_jsonl_frame(input_path, progress=show_progress(), allow_empty=allow_empty)
    splits = split_dataset(frame, train_ratio, val_ratio, test_ratio, stratify_by, seed)
    write_splits(splits, output_path, progress=show_progress())
    sizes = ", ".join(f"{name} {len(samples)}" for name, samples in splits.items())
    echo_summary(f"{len(frame)} samples -> {sizes} -> {output_path}/ "
                 f"(stratified by {stratify_by})")


@training.command("convert")
@input_option("JSONL samples to convert.")
@output_option("JSONL file to write in the trainer format.")
@click.option("--format", "fmt", type=click.Choice(FORMATS, case_sensitive=False), required=True,
              help="Trainer record shape: alpaca {instruction, input, output}; sharegpt "
                   "{conversations}; openai {messages}; chatml {text}.")
@click.option("--thinking", type=click.Choice(THINKING_MODES), default="inline", show_default=True,
              help="Where a sample's thinking goes: inline as <think>…</think> before the "
                   "answer, or in a separate reasoning_content field.")
@click.option("--system-prompt", default=None, metavar="TEXT",
              help="System prompt to add to every record [default: none].")
@click.option("--on-error", type=click.Choice(ON_ERROR_CHOICES), default="raise",
              show_default=True,
              help="On a bad input line: stop with an error naming the line, or skip it (the "
                   "skipped lines go to the rejects file and are counted in the summary).")
@rejects_option("With --on-error skip: where skipped lines go, each with its file, line and error")
@allow_empty_option()
def convert(input_path: Path, output_path: Path, fmt: str, thinking: str,
            system_prompt: str | None, on_error: str, rejects_path: Path | None,
            allow_empty: bool) -> None:
    """Convert samples to the record format a trainer reads.

    Formats: alpaca, sharegpt, openai, chatml. Thinking is never dropped (see --thinking).
    """
    from afs.curation.export import convert_jsonl

    result = convert_jsonl(input_path, output_path, fmt, thinking=thinking,
                           system_prompt=system_prompt, on_error=on_error,
                           rejects_path=rejects_path_for(output_path, rejects_path),
                           progress=show_progress(), allow_empty=allow_empty)
    report, written = result.report, result.written
    note = ""
    if on_error == "skip":
        note = rejects_note(report.reasons, report.rejects_path, label="bad lines skipped")
    echo_summary(f"{written} samples -> {output_path} as {fmt.lower()}{note}")


def _tag_options(what: str):
    """``--include-tag`` / ``--exclude-tag`` (repeatable) for the .context exports."""
    def decorate(command):
        command = click.option(
            "--exclude-tag", "exclude_tags", multiple=True, metavar="TAG",
            help=f"Leave out {what} with this tag; repeat for several.")(command)
        return click.option(
            "--include-tag", "include_tags", multiple=True, metavar="TAG",
            help=f"Keep only {what} with at least one of these tags (case-insensitive); "
                 "repeat for several [default: all].")(command)
    return decorate


LIMIT_HELP = "Stop after this many samples [default: no limit]."
SKIPPED_INPUT = "Where skipped input goes, each with its file, line and reason"


def context_folder(name: str) -> Path:
    """``name`` under the configured project.context_root, as the services read it."""
    from afs.config import load_config

    return load_config().project.context_folder(name)


@training.command("memory-export")
@output_option("JSONL file to write the samples to.")
@click.option("--memory-root", type=UserPath(), default=None,
              help="The agent's memory folder: *.jsonl, *.json and *.md entries "
                   "[default: memory/ under project.context_root, ~/.context]"
                   "(docs/context_format.md).")
@click.option("--limit", type=int, default=None, help=LIMIT_HELP)
@_tag_options("entries")
@click.option("--min-confidence", type=float, default=None,
              help="Keep only entries whose confidence is at least this, in [0, 1]; entries "
                   "without one are left out [default: keep all].")
@rejects_option(SKIPPED_INPUT)
def memory_export(output_path: Path, memory_root: Path | None, limit: int | None,
                  include_tags: tuple[str, ...], exclude_tags: tuple[str, ...],
                  min_confidence: float | None, rejects_path: Path | None) -> None:
    """Export an agent's memory entries as training samples.

    Each entry (instruction/prompt/user -> output/response/assistant) becomes one sample, in
    sorted file order; secrets are redacted and counted. Bad entries are skipped with their
    file:line and reason, never fatal.
    """
    from afs.context.export import export_memory

    report = export_memory(memory_root or context_folder("memory"), output_path, limit=limit,
                           include_tags=include_tags, exclude_tags=exclude_tags,
                           min_confidence=min_confidence,
                           rejects_path=rejects_path_for(output_path, rejects_path),
                           progress=show_progress())
    echo_summary(report.summary())


@training.command("history-export")
@output_option("JSONL file to write the samples to.")
@click.option("--history-root", type=UserPath(), default=None,
              help="The agent's history folder: events_YYYYMMDD.jsonl files and payloads/ "
                   "[default: history/ under project.context_root, ~/.context]"
                   "(docs/context_format.md).")
@click.option("--include-tools", is_flag=True,
              help="Also turn tool calls into samples (tool and input -> the tool's output).")
@_tag_options("events")
@click.option("--limit", type=int, default=None, help=LIMIT_HELP)
@rejects_option(SKIPPED_INPUT)
def history_export(output_path: Path, history_root: Path | None, include_tools: bool,
                   include_tags: tuple[str, ...], exclude_tags: tuple[str, ...],
                   limit: int | None, rejects_path: Path | None) -> None:
    """Export an agent's event history as training samples.

    Model calls become samples (prompt or last user message -> response); tool calls too with
    --include-tools; fs and cli events never do. Secrets are redacted and counted. Bad lines
    are skipped with their file:line and reason, never fatal.
    """
    from afs.context.export import export_history

    report = export_history(history_root or context_folder("history"), output_path,
                            include_tools=include_tools, include_tags=include_tags,
                            exclude_tags=exclude_tags, limit=limit,
                            rejects_path=rejects_path_for(output_path, rejects_path),
                            progress=show_progress())
    echo_summary(report.summary())
