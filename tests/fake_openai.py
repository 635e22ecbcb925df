"""A stdlib OpenAI-compatible server on a loopback port, for tests that need a server whose
answers they choose (a "perfect" model, one that fails, one that is slow): real HTTP, so the
`openai` client and LMStudioClient run as they do against LM Studio or llama.cpp.

``answer(request, number)`` gives the reply to the ``number``-th chat request (1-based): a
string is the assistant's text (usage counts its words as tokens), a ``(status, payload)``
pair is sent as it is (an error, say), with the headers of a third item when there is one
(``Retry-After``, say). Every request body is kept in ``server.requests``.
A model is an id, or a dict of the fields its ``/v1/models`` entry has (an ``id`` and, say, the
``meta`` llama.cpp's server adds).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = str | tuple[int, dict] | tuple[int, dict, dict[str, str]]


def completion(text: str, model: str, number: int = 1) -> dict:
    """A chat.completion payload answering ``text``."""
    tokens = len(text.split())
    return {"id": f"cmpl-{number}", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": tokens,
                      "total_tokens": 10 + tokens}}


class _Handler(BaseHTTPRequestHandler):
    server: FakeOpenAIServer

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name; /v1/models
        self._send(200, {"object": "list", "data": [
            {"object": "model", "created": 0, "owned_by": "tests",
             **(model if isinstance(model, dict) else {"id": model})}
            for model in self.server.models]})

    def do_POST(self) -> None:  # noqa: N802
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        with self.server.lock:
            self.server.requests.append(request)
            number = len(self.server.requests)
        time.sleep(self.server.delay_s)
        reply = self.server.answer(request, number)
        if isinstance(reply, str):
            self._send(200, completion(reply, request.get("model", ""), number))
        else:
            self._send(*reply)

    def _send(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass


class FakeOpenAIServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answer: Callable[[dict, int], Reply], models: Sequence[str | dict],
                 delay_s: float):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer, self.models, self.delay_s = answer, tuple(models), delay_s
        self.requests: list[dict] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def user_prompts(self) -> list[str]:
        """The last (user) message of each chat request, in order."""
        return [request["messages"][-1]["content"] for request in self.requests]


@contextmanager
def fake_openai_server(answer: Callable[[dict, int], Reply] = lambda request, n: f"answer {n}",
                       *, models: Sequence[str | dict] = ("fake-model",),
                       delay_s: float = 0.0) -> Iterator[FakeOpenAIServer]:
    """A running FakeOpenAIServer for the block's duration."""
    server = FakeOpenAIServer(answer, models, delay_s)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
