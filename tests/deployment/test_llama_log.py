"""llama.cpp's log lines go to the ``llama_cpp`` logger, not the terminal: quantizing a file
(``afs deploy convert``, the deployment pipeline) printed about 53 lines on stderr."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from afs.deployment.llama_log import (GGML_LOG_LEVEL_CONT, GGML_LOG_LEVEL_ERROR,
                                      GGML_LOG_LEVEL_WARN, _log_line)

RAW = Path(__file__).resolve().parents[2] / "data" / "01_raw"
GGML_LOG_LEVEL_INFO = 2


def llama_cpp_records(caplog) -> list[tuple[int, str]]:
    return [(record.levelno, record.getMessage()) for record in caplog.records
            if record.name == "llama_cpp"]


def test_fragments_are_joined_into_lines_at_their_level(caplog):
    with caplog.at_level(logging.DEBUG, logger="llama_cpp"):
        _log_line(GGML_LOG_LEVEL_INFO, b"llama_model_loader: loaded meta data", None)
        _log_line(GGML_LOG_LEVEL_CONT, b" with 22 pairs\nllama_model_quantize_impl: ", None)
        _log_line(GGML_LOG_LEVEL_CONT, b"model size = 2.41 MiB\n", None)
        _log_line(GGML_LOG_LEVEL_WARN, b"warning: blk.0.ffn_down.weight - ncols 352 ", None)
        _log_line(GGML_LOG_LEVEL_CONT, b"-> falling back to q5_0\n", None)
        _log_line(GGML_LOG_LEVEL_ERROR, b"failed to quantize: bad file\n", None)
    assert llama_cpp_records(caplog) == [
        (logging.INFO, "llama_model_loader: loaded meta data with 22 pairs"),
        (logging.INFO, "llama_model_quantize_impl: model size = 2.41 MiB"),
        (logging.INFO, "warning: blk.0.ffn_down.weight - ncols 352 -> falling back to q5_0"),
        (logging.ERROR, "failed to quantize: bad file"),
    ]


def test_a_llama_cpp_error_is_logged_as_an_error(tmp_path, capfd, caplog):
    """The levels as the bundled llama.cpp numbers them (a wrong table logged its per-tensor
    warnings as errors and its errors as nothing known)."""
    from afs.deployment.quantize import quantize_gguf

    with caplog.at_level(logging.INFO, logger="llama_cpp"), \
            pytest.raises(RuntimeError, match="could not quantize"):
        quantize_gguf(tmp_path / "missing.gguf", tmp_path / "out.gguf", "Q8_0")
    assert capfd.readouterr() == ("", "")
    errors = [text for level, text in llama_cpp_records(caplog) if level == logging.ERROR]
    assert any("failed to open GGUF file" in text for text in errors), llama_cpp_records(caplog)


# Q4_K_M: on the tiny model's 128- and 352-wide rows llama.cpp also warns once per tensor
def test_quantizing_prints_nothing_and_logs_llama_cpp_lines(tiny_cache, tmp_path, capfd,
                                                            caplog):
    from afs.deployment import convert_base_to_gguf
    from afs.deployment.quantize import quantize_gguf

    f32 = convert_base_to_gguf("tiny", tmp_path / "tiny-F32.gguf", "F32",
                               cache_dir=tiny_cache, raw_dir=RAW)
    capfd.readouterr()  # transformers' own output while loading the model is not the subject

    with caplog.at_level(logging.INFO, logger="llama_cpp"):
        quantize_gguf(f32, tmp_path / "tiny-Q4_K_M.gguf", "Q4_K_M")

    assert capfd.readouterr() == ("", "")  # nothing on file descriptors 1 and 2
    records = llama_cpp_records(caplog)
    assert any(text.startswith("llama_model_loader:") for _, text in records), records
    assert any("falling back" in text for _, text in records), records
    assert {level for level, _ in records} == {logging.INFO}
    assert (tmp_path / "tiny-Q4_K_M.gguf").stat().st_size > 0
