"""The JSONL readers no `afs` command reaches cheaply (Kedro datasets, LoRA chats, the tiny
model's corpus, and the readers behind commands that need a model, an index or a server)
follow the same input rules as the CLI's (tests/cli/test_cli_jsonl_input.py)."""

from __future__ import annotations

import codecs

import pytest
from kedro.io import DatasetError

from afs.datasets import JSONLinesDataset, SampleJSONLDataset
from afs.deployment.eval_suite import load_eval_suite
from afs.discriminator.data import read_documents
from afs.embeddings.evaluate import load_queries
from afs.errors import DataError
from afs.finetune.chat_data import read_chat_jsonl
from afs.finetune.tiny import read_corpus
from tests.cli.test_cli_jsonl_input import BAD_BYTE, BAD_UTF8, GOOD, LIMIT, OVERSIZE


def tiny_corpus(path):
    # the tiny model reads <raw>/v1_training.jsonl among its corpus files
    return read_corpus(path.parent)


READERS = {
    "SampleJSONLDataset": lambda path: SampleJSONLDataset(filepath=str(path)).load(),
    "JSONLinesDataset": lambda path: JSONLinesDataset(filepath=str(path)).load(),
    "read_chat_jsonl": read_chat_jsonl,
    "load_queries": load_queries,
    "load_eval_suite": load_eval_suite,
    "read_documents": lambda path: read_documents([path]),
    "tiny read_corpus": tiny_corpus,
}
CASES = {
    "empty": (b"", "{path}: empty input (no records)"),
    "blank-only": (b" \n\r\n", "{path}: empty input (no records)"),
    "folder": (None, "{path}: is a folder, not a file"),
    "oversize": (GOOD + OVERSIZE + b"\n",
                 f"{{path}}:2: record is {len(OVERSIZE)} bytes, over the limit of {LIMIT} "
                 "(max_record_bytes)"),
    "invalid UTF-8": (GOOD + BAD_UTF8 + b"\n", f"{{path}}:2: invalid UTF-8 at byte {BAD_BYTE}"),
}


@pytest.fixture
def source(tmp_path, monkeypatch):
    monkeypatch.setenv("AFS_GENERAL_MAX_RECORD_BYTES", str(LIMIT))
    return tmp_path / "v1_training.jsonl"


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("reader", list(READERS))
def test_bad_input_is_one_error_naming_the_file(source, reader, case):
    data, message = CASES[case]
    if case == "folder" and reader == "tiny read_corpus":
        pytest.skip("the tiny corpus takes v1_training.jsonl only when it is a file")
    if data is None:
        source.mkdir()
    else:
        source.write_bytes(data)
    with pytest.raises((DataError, DatasetError)) as caught:
        READERS[reader](source)
    # Kedro puts "Failed while loading data from dataset …" on a line before ours
    assert str(caught.value).splitlines()[-1] == message.format(path=source)


@pytest.mark.parametrize("reader", list(READERS))
def test_a_utf8_bom_is_accepted(source, reader):
    source.write_bytes(codecs.BOM_UTF8 + GOOD)
    read = READERS[reader](source)
    # one record each (the tiny corpus takes its instruction and its output as two texts)
    assert len(read) == (2 if reader == "tiny read_corpus" else 1)
