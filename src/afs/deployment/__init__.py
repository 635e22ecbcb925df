"""Deployment: merge a LoRA adapter into its base, export GGUF, quantize with llama.cpp,
serve the GGUF over an OpenAI-compatible API and talk to such servers.

Imports are resolved on first use so `import afs.deployment` stays light.
"""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "convert_lora_to_gguf": "afs.deployment.gguf_export",
    "convert_base_to_gguf": "afs.deployment.gguf_export",
    "merge_lora": "afs.deployment.gguf_export",
    "write_lora_adapter_gguf": "afs.deployment.gguf_adapter",
    "write_gguf": "afs.deployment.gguf_writer",
    "quantize_gguf": "afs.deployment.quantize",
    "QUANTIZATIONS": "afs.deployment.quantize",
    "LMStudioClient": "afs.deployment.client",
    "ChatResult": "afs.deployment.client",
    "ServerUnavailableError": "afs.deployment.client",
    "ModelNotFoundError": "afs.deployment.client",
    "start_server": "afs.deployment.server",
    "serve_gguf": "afs.deployment.server",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
