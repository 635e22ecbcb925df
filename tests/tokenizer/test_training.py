"""Training: vocabulary size, determinism across processes, bad input."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from afs.errors import ConfigError, DataError
from afs.tokenizer import ASMTokenizer
from afs.tokenizer.training import min_vocab_size

from .conftest import SMALL_VOCAB

TRAIN_AND_PRINT = """
import sys
from afs.tokenizer import ASMTokenizer
sys.stdout.write(ASMTokenizer.train(sys.argv[2:], int(sys.argv[1])).backend_tokenizer.to_str())
"""


def test_vocabulary_fits_the_requested_size(small_corpus, trained):
    assert min_vocab_size() <= len(trained) <= SMALL_VOCAB
    smallest = ASMTokenizer.train(small_corpus, vocab_size=min_vocab_size())
    assert len(smallest) <= min_vocab_size()


def test_a_small_vocabulary_still_round_trips(small_corpus):
    tokenizer = ASMTokenizer.train(small_corpus, vocab_size=min_vocab_size())
    text = small_corpus[1].read_bytes().decode("utf-8")
    assert "\r\n" in text and tokenizer.decode(tokenizer.encode(text)) == text


def test_same_corpus_same_tokenizer_json_in_any_process(small_corpus):
    outputs = []
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "RAYON_NUM_THREADS": seed[-1] or "1"}
        result = subprocess.run([sys.executable, "-c", TRAIN_AND_PRINT, str(SMALL_VOCAB),
                                 *map(str, small_corpus)],
                                env=env, capture_output=True, text=True, timeout=120, check=True)
        outputs.append(result.stdout)
    in_process = ASMTokenizer.train(small_corpus, SMALL_VOCAB).backend_tokenizer.to_str()
    assert outputs[0] == outputs[1] == in_process


def test_training_from_texts_equals_training_from_files(small_corpus, trained):
    texts = [path.read_bytes().decode("utf-8") for path in small_corpus]
    from_texts = ASMTokenizer.train_from_texts(texts, SMALL_VOCAB)
    assert from_texts.backend_tokenizer.to_str() == trained.backend_tokenizer.to_str()


def test_a_folder_means_its_asm_files(small_corpus):
    from_folder = ASMTokenizer.train([small_corpus[0].parent], vocab_size=SMALL_VOCAB)
    from_files = ASMTokenizer.train(sorted(small_corpus), vocab_size=SMALL_VOCAB)
    assert from_folder.backend_tokenizer.to_str() == from_files.backend_tokenizer.to_str()


def test_bad_training_input(tmp_path, small_corpus):
    with pytest.raises(ConfigError, match="too small"):
        ASMTokenizer.train(small_corpus, vocab_size=300)
    with pytest.raises(ConfigError, match="no \\*.asm files"):
        ASMTokenizer.train([tmp_path])
    with pytest.raises(FileNotFoundError):
        ASMTokenizer.train([tmp_path / "missing.asm"])
    latin1 = tmp_path / "latin1.asm"
    latin1.write_bytes(b"LDA #$00\n; caf\xe9\n")
    with pytest.raises(DataError, match=r"latin1.asm:2: invalid UTF-8 at byte 14"):
        ASMTokenizer.train([latin1])
