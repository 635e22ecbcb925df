import json

import pytest

from afs.errors import ConfigError
from afs.generators.base import TrainingSample
from afs.training import save_jsonl
from afs.samples.formats import (
    AlpacaConverter, ChatMLConverter, OpenAIConverter, ShareGPTConverter, get_converter,
)
from afs.curation.export import convert_jsonl

SAMPLE = TrainingSample(instruction="Write a function", output="def my_function(): pass", domain="code")
THINKING = TrainingSample(instruction="What does LDA #$00 do?", input="In Link_Main", output="Zeroes A.",
                          thinking="Immediate mode, 8-bit A.")


def test_spec_shapes():
    assert AlpacaConverter().convert(SAMPLE) == {"instruction": "Write a function", "input": "",
                                                 "output": "def my_function(): pass"}
    assert ShareGPTConverter().convert(SAMPLE) == {"conversations": [
        {"from": "user", "value": "Write a function"},
        {"from": "assistant", "value": "def my_function(): pass"}]}
    assert OpenAIConverter().convert(SAMPLE) == {"messages": [
        {"role": "user", "content": "Write a function"},
        {"role": "assistant", "content": "def my_function(): pass"}]}


def test_thinking_inline_by_default_and_input_joined_for_chat():
    messages = OpenAIConverter().convert(THINKING)["messages"]
    assert messages[0]["content"] == "What does LDA #$00 do?\n\nIn Link_Main"
    assert messages[1]["content"] == "<think>\nImmediate mode, 8-bit A.\n</think>\n\nZeroes A."


def test_thinking_as_separate_field_and_system_prompt():
    converter = get_converter("openai", thinking="field", system_prompt="You are an asar expert.")
    messages = converter.convert(THINKING)["messages"]
    assert messages[0] == {"role": "system", "content": "You are an asar expert."}
    assert messages[2] == {"role": "assistant", "content": "Zeroes A.",
                           "reasoning_content": "Immediate mode, 8-bit A."}
    alpaca = AlpacaConverter(thinking="field", system_prompt="S").convert(THINKING)
    assert alpaca == {"instruction": "What does LDA #$00 do?", "input": "In Link_Main",
                      "output": "Zeroes A.", "system": "S", "reasoning_content": "Immediate mode, 8-bit A."}
    turns = ShareGPTConverter(thinking="field").convert(THINKING)["conversations"]
    assert turns[-1]["reasoning_content"] == "Immediate mode, 8-bit A."


def test_chatml_text():
    text = ChatMLConverter(system_prompt="sys").convert(SAMPLE)["text"]
    assert text == ("<|im_start|>system\nsys<|im_end|>\n<|im_start|>user\nWrite a function<|im_end|>\n"
                    "<|im_start|>assistant\ndef my_function(): pass<|im_end|>\n")


def test_registry_errors():
    assert isinstance(get_converter("ShareGPT"), ShareGPTConverter)
    with pytest.raises(ConfigError, match="unknown format 'parquet'; choose one of alpaca, sharegpt, openai, chatml"):
        get_converter("parquet")
    with pytest.raises(ConfigError, match="thinking must be one of"):
        get_converter("alpaca", thinking="drop")


def test_convert_jsonl_writes_every_sample(tmp_path):
    save_jsonl([SAMPLE, THINKING], tmp_path / "train.jsonl")
    assert convert_jsonl(tmp_path / "train.jsonl", tmp_path / "out.jsonl", "sharegpt").written == 2
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert rows[0] == ShareGPTConverter().convert(SAMPLE)
    assert rows[1] == ShareGPTConverter().convert(THINKING)
