"""The record shapes trainers read: Alpaca, ShareGPT, OpenAI chat, ChatML (writing whole files
in them: ``afs.curation.export``).

Thinking is never dropped: by default it goes inline as ``<think>…</think>`` before the answer;
with ``thinking="field"`` it goes in a separate ``reasoning_content`` field.
"""

from __future__ import annotations

from typing import Any, Protocol

from afs.errors import ConfigError
from afs.samples.values import is_missing

THINKING_MODES = ("inline", "field")
REASONING_KEY = "reasoning_content"


class SampleParts(Protocol):
    """What a converter reads of a sample (``TrainingSample`` has these)."""

    instruction: str
    input: str
    output: str
    thinking: str | None


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

    def convert(self, sample: SampleParts) -> dict[str, Any]:
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
