"""Every key each pipeline's parameters may hold, in one table, checked before any node runs
(``afs.hooks``): a misspelt key stops the run at once with one line naming it, where it is and
the keys known there, instead of being ignored while its default quietly applies.

A block's keys come from what reads it: a library function's keyword parameters or a
dataclass's fields, so the table cannot drift from the code."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from afs.config import check_known_keys
from afs.curation.export import convert_frame
from afs.curation.rebalance import rebalance_frame
from afs.curation.rehearsal import RehearsalBufferConfig, mix_rehearsal
from afs.curation.split import split_frame
from afs.dedup.config import DedupConfig
from afs.executors.config import ExecutorConfig
from afs.finetune.lora import train_lora


def keyword_names(function: Callable[..., Any], skip: Iterable[str] = ()) -> set[str]:
    """The names ``function`` takes as keywords, less ``skip`` (what the node passes itself)."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    names = {p.name for p in inspect.signature(function).parameters.values() if p.kind in kinds}
    return names - set(skip)


def field_names(cls: type) -> set[str]:
    return {field.name for field in dataclasses.fields(cls)}


def known_parameter_keys() -> dict[str, set[str]]:
    """Dotted parameters path -> the keys it may hold (only blocks listed here are checked)."""
    lora_options = keyword_names(train_lora, ("base_model", "train_path", "val_path",
                                              "output_dir", "on_step"))
    return {
        "data_generation": {"executor", "sources"},
        "data_generation.executor": field_names(ExecutorConfig),
        "quality_scoring": {"profile", "domain_profiles", "profiles", "reject_invalid_asm",
                            "reference_dedup", "decontaminate", "electra_model",
                            "address_files", "batch_size", "device", "executor", "dedup"},
        "quality_scoring.executor": field_names(ExecutorConfig),
        "quality_scoring.dedup": field_names(DedupConfig),
        "curation": {"rehearsal", "rebalance", "mix", "split", "export"},
        "curation.rehearsal": {"version", "file"} | field_names(RehearsalBufferConfig),
        "curation.rebalance": {"group_by"} | keyword_names(rebalance_frame,
                                                           ("frame", "group_column")),
        "curation.mix": keyword_names(mix_rehearsal, ("buffer", "new")),
        "curation.split": keyword_names(split_frame, ("frame", "group_column")),
        "curation.export": keyword_names(convert_frame, ("frame", "fmt")),
        "training": {"base_model", "output_dir", "registry_name", "lora"} | lora_options,
        "training.lora": lora_options,
        "deployment": {"output_path", "quantization", "device", "model_name", "description",
                       "suite", "smoke"},
        "deployment.smoke": {"sample_size", "seed", "max_tokens", "temperature", "concurrency",
                             "timeout_s", "n_ctx", "n_threads", "ready_timeout_s"},
    }


def check_parameters(parameters: Mapping[str, Any]) -> None:
    """A ConfigError naming the first block of ``parameters`` (Kedro's ``parameters``) that
    holds a key nothing reads."""
    for path, known in known_parameter_keys().items():
        block = _block(parameters, path)
        if isinstance(block, Mapping):
            check_known_keys(block, known, f"parameter(s) in {path}")


def _block(parameters: Mapping[str, Any], path: str) -> Any:
    block: Any = parameters
    for name in path.split("."):
        if not isinstance(block, Mapping):
            return None
        block = block.get(name)
    return block
