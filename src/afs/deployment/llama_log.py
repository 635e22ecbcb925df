"""llama.cpp's log lines (the model loader's metadata dump, the quantizer's per-tensor lines)
go to the ``llama_cpp`` logger instead of the terminal.

llama-cpp-python prints every line llama.cpp logs on stderr unless a ``Llama`` object was
made with ``verbose=False``; a quantize call makes none, so ``afs deploy convert`` and the
deployment pipeline printed about 53 lines per file. Here the lines are logged at INFO (a
``kedro run`` writes them to logs/afs.log; the ``afs`` CLI, which shows warnings and errors
only, drops them) and llama.cpp's errors at ERROR. Its warnings are INFO too: on a small model
they are the expected per-tensor notes about K-quant fallbacks (see
:mod:`afs.deployment.quantize`).
"""

from __future__ import annotations

import ctypes
import logging
from typing import Any

logger = logging.getLogger("llama_cpp")

# ggml's levels (ggml.h: NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5; the comment in
# llama-cpp-python's _logger.py shows an older numbering)
GGML_LOG_LEVEL_WARN = 3
GGML_LOG_LEVEL_ERROR = 4
GGML_LOG_LEVEL_CONT = 5  # the rest of the previous line

_state: dict[str, Any] = {"callback": None, "level": logging.INFO, "partial": ""}


def _log_line(level: int, text: bytes, user_data: Any) -> None:
    """Collect llama.cpp's fragments into lines and log each complete one."""
    if level != GGML_LOG_LEVEL_CONT:
        _state["level"] = logging.ERROR if level == GGML_LOG_LEVEL_ERROR else logging.INFO
    lines = (_state["partial"] + text.decode("utf-8", "replace")).split("\n")
    _state["partial"] = lines.pop()  # after the last newline: not complete yet
    for line in lines:
        if line.strip():
            logger.log(_state["level"], line.rstrip())


def route_llama_cpp_logs() -> None:
    """Send llama.cpp's log lines to the ``llama_cpp`` logger from now on (idempotent)."""
    if _state["callback"] is not None:
        return
    # llama-cpp-python's own callback, set when llama_cpp is imported, prints the lines at or
    # above this logger's level: errors only, until ours replaces it
    logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)
    import llama_cpp

    _state["callback"] = llama_cpp.llama_log_callback(_log_line)  # kept: C holds the pointer
    llama_cpp.llama_log_set(_state["callback"], ctypes.c_void_p(0))
