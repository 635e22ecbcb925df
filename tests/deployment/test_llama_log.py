"""llama.cpp's log lines go to the ``llama_cpp`` logger, not the terminal: quantizing a file
(``afs deploy convert``, the deployment pipeline) printed about 53 lines on stderr."""

from __future__ import annotations

import logging
from pathlib import Path

from afs.deployment.llama_log import GGML_LOG_LEVEL_CONT, GGML_LOG_LEVEL_ERROR, _log_line

RAW = Path(__file__).resolve().parents[2] / "data" / "01_raw"
GGML_LOG_LEVEL_INFO, GGML_LOG_LEVEL_WARN = 1, 2


def test_fragments_are_joined_into_lines_at_their_level(caplog):
    with caplog.at_level(logging.DEBUG, logger="llama_cpp"):
        _log_line(GGML_LOG_LEVEL_INFO, b"llama_model_loader: loaded meta data", None)
        _log_line(GGML_LOG_LEVEL_CONT, b" with 22 pairs\nllama_model_quantize_impl: ", None)
        _log_line(GGML_LOG_LEVEL_CONT, b"model size = 2.41 MiB\n", None)
        _log_line(GGML_LOG_LEVEL_WARN, b"tensor cols 352 are not divisible by 256\n", None)
        _log_line(GGML_LOG_LEVEL_ERROR, b"failed to quantize: bad file\n", None)
    assert [(record.levelno, record.getMessage()) for record in caplog.records
            if record.name == "llama_cpp"] == [
        (logging.INFO, "llama_model_loader: loaded meta data with 22 pairs"),
        (logging.INFO, "llama_model_quantize_impl: model size = 2.41 MiB"),
        (logging.INFO, "tensor cols 352 are not divisible by 256"),
        (logging.ERROR, "failed to quantize: bad file"),
    ]


def test_quantizing_prints_nothing_and_logs_llama_cpp_lines(tiny_cache, tmp_path, capfd,
                                                            caplog):
    from afs.deployment import convert_base_to_gguf
    from afs.deployment.quantize import quantize_gguf

    f32 = convert_base_to_gguf("tiny", tmp_path / "tiny-F32.gguf", "F32",
                               cache_dir=tiny_cache, raw_dir=RAW)
    capfd.readouterr()  # transformers' own output while loading the model is not the subject

    with caplog.at_level(logging.INFO, logger="llama_cpp"):
        quantize_gguf(f32, tmp_path / "tiny-Q8_0.gguf", "Q8_0")

    assert capfd.readouterr() == ("", "")  # nothing on file descriptors 1 and 2
    lines = [record.getMessage() for record in caplog.records if record.name == "llama_cpp"]
    assert any(line.startswith("llama_model_loader:") for line in lines), lines
    assert (tmp_path / "tiny-Q8_0.gguf").stat().st_size > 0
