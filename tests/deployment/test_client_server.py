"""LMStudioClient and the llama.cpp server: real servers on loopback ports.

The llama.cpp tests talk to the session's ``tiny_server`` (tests/conftest.py); the retry and
error tests use small stdlib HTTP servers that answer the way a failing server does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from afs.deployment.client import (
    ContextLengthError,
    LMStudioClient,
    ModelNotFoundError,
    ServerResponseError,
    ServerUnavailableError,
    normalize_base_url,
)
from afs.deployment.server import free_port, start_server
from afs.errors import ConfigError
from tests.fake_openai import FakeOpenAIServer, fake_openai_server

PROMPT = "What does LDA do?"


# ------------------------------------------------------------------ against llama.cpp


def test_chat_answers_through_the_llama_cpp_server(tiny_server):
    client = LMStudioClient(port=tiny_server.port, host=tiny_server.host)
    assert client.models() == ["afs-tiny"]
    answer = client.chat(PROMPT, temperature=0.0, max_tokens=16)
    assert isinstance(answer, str) and answer


def test_streaming_yields_the_same_text_as_one_answer(tiny_server):
    client = LMStudioClient.from_url(tiny_server.url, model="afs-tiny")
    whole = client.chat(PROMPT, temperature=0.0, max_tokens=24, system="Be brief.")
    pieces = list(client.chat(PROMPT, temperature=0.0, max_tokens=24, system="Be brief.",
                              stream=True))
    assert len(pieces) > 1
    assert "".join(pieces) == whole


def test_complete_reports_tokens_and_latency(tiny_server):
    result = LMStudioClient.from_url(tiny_server.base_url).complete(
        PROMPT, temperature=0.0, max_tokens=12)
    assert result.model == "afs-tiny"
    assert result.completion_tokens == 12 and result.finish_reason == "length"
    assert result.prompt_tokens and result.prompt_tokens > 5
    assert result.latency_s > 0 and result.tokens_per_s > 0


def test_the_plain_openai_client_talks_to_the_server(tiny_server):
    from openai import OpenAI

    client = OpenAI(base_url=tiny_server.base_url, api_key="unused")
    response = client.chat.completions.create(
        model="afs-tiny", messages=[{"role": "user", "content": PROMPT}], max_tokens=8,
        temperature=0.0)
    assert response.choices[0].message.content
    assert response.usage.completion_tokens == 8


def test_a_model_the_server_does_not_have_is_named_with_what_it_has(tiny_server):
    client = LMStudioClient.from_url(tiny_server.url, model="majora-7b")
    with pytest.raises(ModelNotFoundError, match=r"'majora-7b'.*serves: afs-tiny"):
        client.resolve_model()


def test_asking_for_a_model_the_server_lacks_fails_instead_of_answering(tiny_server):
    # llama.cpp's server answers any model name with its own model: the client checks first
    client = LMStudioClient(port=tiny_server.port, host=tiny_server.host, model="nope")
    for ask in (lambda: client.chat(PROMPT, max_tokens=4),
                lambda: client.complete(PROMPT, max_tokens=4),
                lambda: "".join(client.chat(PROMPT, max_tokens=4, stream=True))):
        with pytest.raises(ModelNotFoundError, match=r"does not serve model 'nope'; it serves: "
                                                     r"afs-tiny$"):
            ask()


def test_a_prompt_longer_than_the_context_is_a_context_length_error(tiny_server):
    client = LMStudioClient.from_url(tiny_server.url, max_retries=0)
    assert client.context_length() is None  # llama-cpp-python's /v1/models does not say
    with pytest.raises(ContextLengthError, match="does not fit the model's context of 512 "
                                                 "tokens") as caught:
        client.chat("LDA $7E0010\n" * 400, max_tokens=4)
    assert caught.value.context_length == 512 and caught.value.prompt_tokens > 512
    assert client.context_length() == 512  # learned for the next prompt


@pytest.mark.parametrize(("entry", "expected"), [
    ({"id": "m", "meta": {"n_ctx_train": 4096, "n_vocab": 151936}}, 4096),  # llama.cpp server
    ({"id": "m", "max_model_len": 8192}, 8192),  # vLLM
    ({"id": "m"}, None),
])
def test_context_length_comes_from_the_model_list(entry, expected):
    with fake_openai_server(models=[entry]) as server:
        assert LMStudioClient.from_url(server.url).context_length() == expected


# ------------------------------------------------------------------ failing servers


def test_no_server_is_a_clear_error_after_backed_off_retries():
    port = free_port()
    client = LMStudioClient(port=port, max_retries=2, timeout_s=2)
    started = time.perf_counter()
    with pytest.raises(ServerUnavailableError, match=rf"127.0.0.1:{port}/v1 \(3 tries") as err:
        client.chat(PROMPT)
    # the openai client's two backoff waits: 0.5 s and 1 s, each less up to 25 % jitter
    assert time.perf_counter() - started >= 0.375 + 0.75
    assert "afs deploy serve" in str(err.value)


@contextmanager
def scripted_server(*script: tuple[int, dict] | str, delay_s: float = 0.0
                    ) -> Iterator[FakeOpenAIServer]:
    """A fake server sending the scripted replies in order (model id ``scripted``)."""
    with fake_openai_server(lambda request, number: script[number - 1], models=("scripted",),
                            delay_s=delay_s) as server:
        yield server


def test_server_errors_are_retried_until_an_answer_comes():
    busy = (503, {"error": {"message": "model is loading"}})
    with scripted_server(busy, busy, "LDA loads A.") as server:
        client = LMStudioClient.from_url(server.url, model="scripted")
        assert client.chat(PROMPT) == "LDA loads A."
        assert len(server.requests) == 3


def test_a_server_that_keeps_failing_is_reported_with_its_message():
    busy = (500, {"error": {"message": "out of memory"}})
    with scripted_server(busy, busy) as server:
        client = LMStudioClient.from_url(server.url, model="scripted", max_retries=1)
        with pytest.raises(ServerUnavailableError, match="out of memory after 2 tries"):
            client.chat(PROMPT)


def test_a_servers_retry_after_is_honoured():
    """The wait is the server's (50 ms), not the backoff's 0.5 s + 1 s: AFS's own retry loop,
    which the openai client's retries replaced, slept its backoff whatever the server said."""
    busy = (503, {"error": {"message": "model is loading"}}, {"Retry-After-Ms": "50"})
    with scripted_server(busy, busy, "LDA loads A.") as server:
        client = LMStudioClient.from_url(server.url, model="scripted")
        started = time.perf_counter()
        assert client.chat(PROMPT) == "LDA loads A."
        assert time.perf_counter() - started < 0.35
        assert len(server.requests) == 3


def test_a_server_that_says_not_to_retry_is_asked_once_and_the_error_says_so():
    refused = (503, {"error": {"message": "shutting down"}}, {"X-Should-Retry": "false"})
    with scripted_server(refused) as server:
        client = LMStudioClient.from_url(server.url, model="scripted", max_retries=3)
        with pytest.raises(ServerUnavailableError, match=r"shutting down after 1 try$"):
            client.chat(PROMPT)
        assert len(server.requests) == 1


def test_retries_set_after_the_client_was_made_apply():
    busy = (500, {"error": {"message": "out of memory"}})
    with scripted_server(busy, busy) as server:
        client = LMStudioClient.from_url(server.url, model="scripted")
        client.max_retries = 0  # as afs evaluate --retries sets it on its probed clients
        with pytest.raises(ServerUnavailableError, match="out of memory after 1 try$"):
            client.chat(PROMPT)
        assert len(server.requests) == 1
    with pytest.raises(ValueError, match="max_retries must be >= 0, got -1"):
        client.max_retries = -1


def test_a_bad_request_is_not_retried():
    with scripted_server((400, {"error": {"message": "max_tokens too large"}})) as server:
        client = LMStudioClient.from_url(server.url, model="scripted")
        with pytest.raises(ServerResponseError, match="HTTP 400: max_tokens too large"):
            client.chat(PROMPT)
        assert len(server.requests) == 1


def test_a_slow_server_times_out_with_a_clear_error():
    with scripted_server("late", delay_s=1.5) as server:
        client = LMStudioClient.from_url(server.url, model="scripted", timeout_s=0.3,
                                         max_retries=0)
        with pytest.raises(ServerUnavailableError, match=r"no answer within 0.3 s \(1 try\)"):
            client.chat(PROMPT)


@pytest.mark.parametrize(("url", "expected"), [
    ("http://127.0.0.1:1234", "http://127.0.0.1:1234/v1"),
    ("127.0.0.1:11434/", "http://127.0.0.1:11434/v1"),
    ("http://host:8000/v1/", "http://host:8000/v1"),
    ("https://example.org/api/v1", "https://example.org/api/v1"),
])
def test_server_urls_become_api_roots(url, expected):
    assert normalize_base_url(url) == expected


# ------------------------------------------------------------------ starting servers


def test_a_file_that_is_not_gguf_is_refused_before_starting(tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(ConfigError, match=r"model.gguf: not a GGUF file"):
        start_server(fake)
    with pytest.raises(ConfigError, match="no such GGUF file"):
        start_server(tmp_path / "missing.gguf")


def test_a_truncated_gguf_is_refused_before_a_server_starts(tmp_path, tiny_gguf):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(tiny_gguf.read_bytes()[:4096])  # the header survives, tensors do not
    with pytest.raises(ConfigError, match=r"broken.gguf: incomplete or damaged GGUF file"):
        start_server(broken, ready_timeout_s=60)


def test_the_default_context_is_the_models_own_at_most_2048(tiny_gguf, tmp_path):
    import gguf

    from afs.deployment.server import DEFAULT_CONTEXT, gguf_context_length, serving_context

    assert gguf_context_length(tiny_gguf) == 1024  # the tiny base's training context
    assert serving_context(tiny_gguf) == 1024
    assert serving_context(tiny_gguf, 512) == 512  # asked for: as asked
    for name, length in (("long", 32768), ("unsaid", None)):
        writer = gguf.GGUFWriter(str(tmp_path / f"{name}.gguf"), "llama")
        if length:
            writer.add_context_length(length)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
    assert serving_context(tmp_path / "long.gguf") == DEFAULT_CONTEXT == 2048
    assert gguf_context_length(tmp_path / "unsaid.gguf") is None
    assert serving_context(tmp_path / "unsaid.gguf") == DEFAULT_CONTEXT
