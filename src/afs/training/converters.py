"""Export samples to the record shapes trainers read: Alpaca, ShareGPT, OpenAI chat, ChatML.

Thinking is never dropped: by default it goes inline as ``<think>…</think>`` before the answer;
with ``thinking="field"`` it goes in a separate ``reasoning_content`` field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from afs.atomic_dir import atomic_outputs
from afs.errors import ConfigError
from afs.samples.jsonl import LoadReport, atomic_write, read_jsonl_frame, skipped_lines_path
from afs.samples.model import TrainingSample, is_missing

THINKING_MODES = ("inline", "field")
REASONING_KEY = "reasoning_content"


def user_prompt(instruction: str, input: str | None) -> str:  # noqa: A002
    """Chat formats have one user turn: the instruction, then the input if there is one."""
    return f"{instruction}\n\n{input}" if input else instruction


def inline_thinking(output: str, thinking: str | None) -> str:
    return f"<think>\n{thinking}\n</think>\n\n{output}" if thinking else output


class Converter:
    """Base converter: subclasses build one record from the parts of a sample."""

    name = ""

    def __init__(self, thinking: str = "inline", system_prompt: str | None = None):
        if thinking not in THINKING_MODES:
            raise ConfigError(f"thinking must be one of {THINKING_MODES}, got {thinking!r}")
        self.thinking = thinking
        self.system_prompt = system_prompt or None

    def convert(self, sample: TrainingSample) -> dict[str, Any]:
        return self.convert_parts(sample.instruction, sample.input, sample.output, sample.thinking)

    def convert_parts(self, instruction: str, input: str, output: str,  # noqa: A002
                      thinking: str | None) -> dict[str, Any]:
        thinking = None if is_missing(thinking) or thinking == "" else thinking
        answer = inline_thinking(output, thinking) if self.thinking == "inline" else output
        record = self.build(instruction, input or "", answer)
        if thinking and self.thinking == "field":
            self.attach_reasoning(record, thinking)
        return record

    def build(self, instruction: str, input: str, answer: str) -> dict[str, Any]:  # noqa: A002
        raise NotImplementedError

    def attach_reasoning(self, record: dict[str, Any], thinking: str) -> None:
        record[REASONING_KEY] = thinking


class AlpacaConverter(Converter):
    """``{"instruction", "input", "output"}`` (+ ``system`` when a system prompt is set)."""

    name = "alpaca"

    def build(self, instruction, input, answer):  # noqa: A002
        record = {"instruction": instruction, "input": input, "output": answer}
        if self.system_prompt:
            record["system"] = self.system_prompt
        return record


class _ChatConverter(Converter):
    """Formats made of turns: system (optional), user, assistant."""

    def turns(self, instruction: str, input: str, answer: str) -> list[tuple[str, str]]:  # noqa: A002
        turns = [("system", self.system_prompt)] if self.system_prompt else []
        return [*turns, ("user", user_prompt(instruction, input)), ("assistant", answer)]


class ShareGPTConverter(_ChatConverter):
    """``{"conversations": [{"from": "user", "value": …}, {"from": "assistant", …}]}``."""

    name = "sharegpt"

    def build(self, instruction, input, answer):  # noqa: A002
        turns = self.turns(instruction, input, answer)
        return {"conversations": [{"from": role, "value": text} for role, text in turns]}

    def attach_reasoning(self, record, thinking):
        record["conversations"][-1][REASONING_KEY] = thinking


class OpenAIConverter(_ChatConverter):
    """``{"messages": [{"role": "user", "content": …}, {"role": "assistant", …}]}``."""

    name = "openai"

    def build(self, instruction, input, answer):  # noqa: A002
        turns = self.turns(instruction, input, answer)
        return {"messages": [{"role": role, "content": text} for role, text in turns]}

    def attach_reasoning(self, record, thinking):
        record["messages"][-1][REASONING_KEY] = thinking


class ChatMLConverter(_ChatConverter):
    """``{"text": "<|im_start|>user\\n…<|im_end|>\\n<|im_start|>assistant\\n…<|im_end|>\\n"}``."""

    name = "chatml"

    def build(self, instruction, input, answer):  # noqa: A002
        turns = self.turns(instruction, input, answer)
        return {"text": "".join(f"<|im_start|>{role}\n{text}<|im_end|>\n" for role, text in turns)}


CONVERTERS: dict[str, type[Converter]] = {
    c.name: c for c in (AlpacaConverter, ShareGPTConverter, OpenAIConverter, ChatMLConverter)
}
FORMATS = tuple(CONVERTERS)


def get_converter(name: str, thinking: str = "inline", system_prompt: str | None = None) -> Converter:
    """A converter by format name: alpaca, sharegpt, openai or chatml."""
    try:
        return CONVERTERS[name.lower()](thinking=thinking, system_prompt=system_prompt)
    except KeyError:
        raise ConfigError(f"unknown format {name!r}; choose one of {', '.join(FORMATS)}") from None


def _iter_converted(frame: pd.DataFrame, converter: Converter) -> Iterator[dict[str, Any]]:
    columns = [frame[c].tolist() for c in ("instruction", "input", "output", "thinking")]
    for instruction, input_, output, thinking in zip(*columns, strict=True):
        yield converter.convert_parts(instruction, input_, output, thinking)


def convert_frame(frame: pd.DataFrame, fmt: str, thinking: str = "inline",
                  system_prompt: str | None = None) -> list[dict[str, Any]]:
    """Records in trainer format ``fmt`` for every row of a sample frame."""
    return list(_iter_converted(frame, get_converter(fmt, thinking, system_prompt)))


def write_records_jsonl(records: Any, path: str | Path, chunk: int = 50_000) -> int:
    """Write dict records as JSONL, atomically; returns how many were written."""
    written = 0
    buffer: list[bytes] = []
    with atomic_write(path) as handle:
        for record in records:
            buffer.append(orjson.dumps(record))
            if len(buffer) >= chunk:
                handle.write(b"\n".join(buffer) + b"\n")
                written += len(buffer)
                buffer.clear()
        if buffer:
            handle.write(b"\n".join(buffer) + b"\n")
            written += len(buffer)
    return written


@dataclass
class ConvertResult:
    """Rows written, and what the read of the input saw (lines skipped with on_error="skip")."""

    written: int
    report: LoadReport


def convert_jsonl(
    input_path: str | Path,
    output_path: str | Path,
    fmt: str,
    thinking: str = "inline",
    system_prompt: str | None = None,
    on_error: str = "raise",
    rejects_path: str | Path | None = None,
    progress: bool = False,
    *,
    allow_empty: bool = False,
    max_record_bytes: int | None = None,
) -> ConvertResult:
    """Read samples from ``input_path`` and write them to ``output_path`` in format ``fmt``
    (an input without records is an error unless ``allow_empty``). With ``on_error="skip"``
    the output and the file of skipped lines are committed as one unit (no line skipped: an
    old file of skipped lines is removed)."""
    converter = get_converter(fmt, thinking, system_prompt)
    output_path = Path(output_path).expanduser()
    skipped = skipped_lines_path(Path(input_path).expanduser(), rejects_path)
    outputs = [output_path, skipped] if on_error == "skip" else [output_path]
    with atomic_outputs(outputs) as staged:
        frame, report = read_jsonl_frame(input_path, on_error=on_error,
                                         rejects_path=staged.get(skipped, rejects_path),
                                         progress=progress, allow_empty=allow_empty,
                                         max_record_bytes=max_record_bytes)
        written = write_records_jsonl(_iter_converted(frame, converter), staged[output_path])
    if report.rejects_path is not None:
        report.rejects_path = str(skipped)
    return ConvertResult(written, report)
