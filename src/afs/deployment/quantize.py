"""Quantize a GGUF file with llama.cpp (``llama_cpp.llama_model_quantize``).

Names are the spec's: ``F16``, ``Q8_0``, ``Q4_K_M``, ``Q5_K_M`` (and ``F32``, no quantization).

K-quants (``Q4_K_M``, ``Q5_K_M``) work on 256-wide blocks. llama.cpp quantizes a tensor whose
rows are not a multiple of 256 in a 32-block fallback type instead (Q4_K -> Q5_0, Q5_K -> Q5_1,
Q6_K -> Q8_0) and logs a warning per tensor; the call still succeeds. A small model such as
``tiny`` (rows of 128 and 352) therefore gets a file labelled Q4_K_M whose matrices are
Q5_0/Q8_0 (Q5_K_M: Q5_1/Q8_0); :func:`gguf_tensor_types` shows what was actually written.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from afs.errors import ConfigError

# spec name -> llama_cpp's LLAMA_FTYPE_* constant (None: the F32 file as written)
QUANTIZATIONS = {
    "F32": None,
    "F16": "LLAMA_FTYPE_MOSTLY_F16",
    "Q8_0": "LLAMA_FTYPE_MOSTLY_Q8_0",
    "Q4_K_M": "LLAMA_FTYPE_MOSTLY_Q4_K_M",
    "Q5_K_M": "LLAMA_FTYPE_MOSTLY_Q5_K_M",
}


def check_quantization(name: str) -> str:
    """``name`` in its canonical spelling (case-insensitive), or a ConfigError listing the
    known ones."""
    canonical = {key.lower(): key for key in QUANTIZATIONS}.get(str(name).lower())
    if canonical is None:
        raise ConfigError(f"unknown quantization {name!r}; use one of "
                          f"{', '.join(QUANTIZATIONS)}")
    return canonical


def quantize_gguf(source: str | Path, target: str | Path, quantization: str,
                  threads: int | None = None) -> Path:
    """Quantize the GGUF ``source`` into ``target`` with llama.cpp. ``target`` is written in
    place (callers that need atomicity pass a temp path). F32 is refused here: there is
    nothing to quantize."""
    import ctypes

    from afs.deployment.llama_log import route_llama_cpp_logs

    route_llama_cpp_logs()  # the loader's and quantizer's ~50 lines: the log, not the terminal
    import llama_cpp

    quantization = check_quantization(quantization)
    constant = QUANTIZATIONS[quantization]
    if constant is None:
        raise ConfigError("F32 is the unquantized file; there is nothing to quantize")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, constant)
    params.nthread = threads or os.cpu_count() or 1
    status = llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(),
                                            ctypes.byref(params))
    if status != 0:
        raise RuntimeError(f"llama.cpp could not quantize {source} to {quantization} "
                           f"(status {status})")
    return Path(target)


def gguf_tensor_types(path: str | Path) -> Counter[str]:
    """How many tensors of each GGML type (``F32``, ``Q8_0``, ``Q5_0`` …) a GGUF file holds."""
    from gguf import GGUFReader

    reader = GGUFReader(str(path))
    return Counter(tensor.tensor_type.name for tensor in reader.tensors)
