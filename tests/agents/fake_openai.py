"""The recording fake OpenAI server the agent tests use: it answers ``answer 1``,
``answer 2``, … and, from request number ``server.fail_from`` on, HTTP 500, so tests can count
what an agent asked and interrupt it (tests/fake_openai.py; real HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.fake_openai import FakeOpenAIServer, fake_openai_server

MODEL_ID = "fake-model"


@contextmanager
def recording_server() -> Iterator[FakeOpenAIServer]:
    def answer(request: dict, number: int):
        if server.fail_from is not None and number >= server.fail_from:
            return 500, {"error": {"message": "the fake server is down"}}
        return f"answer {number}"

    with fake_openai_server(answer, models=(MODEL_ID,)) as server:
        server.fail_from = None
        yield server
