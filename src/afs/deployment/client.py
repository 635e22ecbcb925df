"""A small chat client for any OpenAI-compatible server: LM Studio (``:1234/v1``), llama.cpp's
server or ``afs deploy serve`` (``/v1``), Ollama (``:11434/v1``).

Built on the official ``openai`` client, whose own retries serve as they are: connection
errors, timeouts, 408/409/429 and 5xx are retried with exponential backoff (0.5 s doubling up to
8 s, less up to 25 % jitter) and a server's ``Retry-After`` is honoured. AFS only turns what is
left into one error that says which server was tried, how often, and what to do about it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from afs.errors import AfsError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 1234  # LM Studio's default; llama.cpp's server and `afs deploy serve` use 8000
API_KEY = "not-needed"  # local servers ignore it, but the openai client insists on one


class ServerUnavailableError(AfsError):
    """No OpenAI-compatible server answered at the given address (after the retries)."""


class ModelNotFoundError(AfsError):
    """The server answered but does not serve the requested model."""


class ServerResponseError(AfsError):
    """The server answered with an error that retrying will not fix (bad request, …)."""


class ContextLengthError(ServerResponseError):
    """The prompt and answer do not fit the served model's context. ``context_length`` is the
    model's context in tokens; ``prompt_tokens`` what the prompt took (None when unsaid)."""

    def __init__(self, message: str, context_length: int, prompt_tokens: int | None):
        super().__init__(message)
        self.context_length = context_length
        self.prompt_tokens = prompt_tokens


# Where servers report a model's context in /v1/models, most telling first: llama.cpp's server
# (meta.n_ctx_train), vLLM (max_model_len), LM Studio (loaded_/max_context_length).
CONTEXT_KEYS = ("n_ctx", "loaded_context_length", "max_model_len", "context_length",
                "max_context_length", "n_ctx_train")
# OpenAI's wording, which llama-cpp-python and vLLM copy: "This model's maximum context length
# is 512 tokens. However, you requested 900 tokens (644 in the messages, 256 in the completion)"
CONTEXT_MESSAGE = re.compile(r"maximum context length is (\d+) tokens"
                             r"(?:.*?\((\d+) in the messages)?", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class ChatResult:
    """One chat completion with what an evaluation needs besides the text."""

    text: str
    model: str
    latency_s: float
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None

    @property
    def tokens_per_s(self) -> float | None:
        """Generated tokens per second of wall time (None when the server gave no usage)."""
        if not self.completion_tokens or self.latency_s <= 0:
            return None
        return self.completion_tokens / self.latency_s


def base_url_for(host: str, port: int) -> str:
    """The OpenAI API root (``http://host:port/v1``) of a server on ``host:port``."""
    return f"http://{host}:{port}/v1"


def normalize_base_url(url: str) -> str:
    """``url`` as an OpenAI API root: ``http://h:p`` and ``http://h:p/`` become ``…/v1``;
    a URL that already names a path (``…/v1``, ``…/api/v1``) is kept."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = f"http://{url}"
    path = url.partition("://")[2].partition("/")[2]
    return url if path else f"{url}/v1"


class LMStudioClient:
    """Chat with a model on an OpenAI-compatible server.

    >>> client = LMStudioClient(port=8000)                    # doctest: +SKIP
    >>> client.chat("What does LDA do?", temperature=0.7, max_tokens=500)  # doctest: +SKIP

    ``model`` is the served model's id; when None the server's first model is used (LM Studio
    and llama.cpp serve one). ``base_url`` overrides ``host``/``port`` (e.g. a remote
    ``https://…/v1``). Failed requests are retried ``max_retries`` times by the ``openai``
    client (see the module docstring); each request waits at most ``timeout_s``.
    """

    def __init__(self, port: int = DEFAULT_PORT, host: str = DEFAULT_HOST,
                 model: str | None = None, *, base_url: str | None = None,
                 api_key: str = API_KEY, timeout_s: float = 60.0, max_retries: int = 3):
        from openai import OpenAI

        self.base_url = normalize_base_url(base_url) if base_url else base_url_for(host, port)
        self.model = model
        self._checked: tuple[str | None, str] | None = None  # (model asked, id the server has)
        self._entries: dict[str, dict[str, Any]] = {}  # /v1/models entries by id
        self._context_length: int | None = None  # learned from a context-length error
        self.timeout_s = timeout_s
        self._client = OpenAI(base_url=self.base_url, api_key=api_key, timeout=timeout_s,
                              max_retries=_checked_retries(max_retries))

    @classmethod
    def from_url(cls, url: str, model: str | None = None, **kwargs: Any) -> LMStudioClient:
        """A client for the server at ``url`` (``http://host:port`` or an API root)."""
        return cls(base_url=url, model=model, **kwargs)

    def __repr__(self) -> str:
        return f"LMStudioClient(base_url={self.base_url!r}, model={self.model!r})"

    @property
    def max_retries(self) -> int:
        """How often a failed request is retried (by the ``openai`` client)."""
        return self._client.max_retries

    @max_retries.setter
    def max_retries(self, value: int) -> None:
        self._client = self._client.with_options(max_retries=_checked_retries(value))

    # ---------------------------------------------------------------- models

    def models(self) -> list[str]:
        """The ids of the models the server serves."""
        page = self._call(lambda: self._client.models.list())
        self._entries = {model.id: model.model_dump() for model in page.data}
        return list(self._entries)

    def context_length(self) -> int | None:
        """The served model's context in tokens: what ``/v1/models`` says of it (llama.cpp's
        server, vLLM, LM Studio), else what the server's last context-length error said, else
        None (llama-cpp-python and Ollama do not say until a prompt is too long)."""
        if self._context_length is not None:
            return self._context_length
        model = self.resolve_model()  # lists the models first
        return context_length_of(self._entries.get(model, {}))

    def resolve_model(self) -> str:
        """The model id requests use: ``model`` if the server has it, else the server's first
        model. A ModelNotFoundError lists what the server has. Asked once per client: some
        servers (llama.cpp's) answer a request for any model name with the one they serve, so
        the name is checked against ``/v1/models`` before the first request."""
        if self._checked is None or self._checked[0] != self.model:
            self._checked = (self.model, self._pick_model(self.models()))
        return self._checked[1]

    def _pick_model(self, available: list[str]) -> str:
        if self.model is None:
            if not available:
                raise ModelNotFoundError(f"{self.base_url} serves no model; load one first")
            return available[0]
        if self.model not in available:
            raise ModelNotFoundError(
                f"{self.base_url} does not serve model {self.model!r}; it serves: "
                f"{', '.join(available) or '(none)'}")
        return self.model

    # ---------------------------------------------------------------- chat

    def chat(self, prompt: str, temperature: float = 0.7, max_tokens: int = 512,
             system: str | None = None, *, stream: bool = False) -> str | Iterator[str]:
        """The model's answer to ``prompt`` (after an optional ``system`` message). With
        ``stream=True``, an iterator over the answer's text pieces as they arrive."""
        if stream:
            return self.chat_stream(prompt, temperature, max_tokens, system)
        return self.complete(prompt, temperature, max_tokens, system).text

    def complete(self, prompt: str, temperature: float = 0.7, max_tokens: int = 512,
                 system: str | None = None, *, seed: int | None = None) -> ChatResult:
        """Like :meth:`chat`, with the latency, token counts and finish reason."""
        model = self.resolve_model()
        request = self._request(model, prompt, temperature, max_tokens, system, seed)
        started = time.perf_counter()
        response = self._call(lambda: self._client.chat.completions.create(**request))
        latency = time.perf_counter() - started
        choice = response.choices[0]
        usage = response.usage
        return ChatResult(text=choice.message.content or "", model=response.model or model,
                          latency_s=latency,
                          prompt_tokens=getattr(usage, "prompt_tokens", None),
                          completion_tokens=getattr(usage, "completion_tokens", None),
                          finish_reason=choice.finish_reason)

    def chat_stream(self, prompt: str, temperature: float = 0.7, max_tokens: int = 512,
                    system: str | None = None) -> Iterator[str]:
        """The answer's text pieces as the server streams them. Connecting is retried;
        a stream cut off halfway raises ServerUnavailableError (never a silent short text)."""
        from openai import APIConnectionError

        model = self.resolve_model()
        request = self._request(model, prompt, temperature, max_tokens, system, None)
        chunks = self._call(lambda: self._client.chat.completions.create(**request, stream=True))
        try:
            for chunk in chunks:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except APIConnectionError as exc:
            raise ServerUnavailableError(
                f"{self.base_url}: the stream broke off: {exc}") from exc

    @staticmethod
    def _request(model: str, prompt: str, temperature: float, max_tokens: int,
                 system: str | None, seed: int | None) -> dict[str, Any]:
        messages = [{"role": "system", "content": system}] if system else []
        messages.append({"role": "user", "content": prompt})
        request: dict[str, Any] = {"model": model, "messages": messages,
                                   "temperature": temperature, "max_tokens": max_tokens}
        if seed is not None:
            request["seed"] = seed
        return request

    # ---------------------------------------------------------------- errors

    def _call(self, call: Any) -> Any:
        """``call()`` (the openai client retries what may pass); its errors as AfsErrors."""
        import openai

        try:
            return call()
        except (openai.APIConnectionError, openai.RateLimitError,  # APITimeoutError is an
                openai.InternalServerError) as exc:                # APIConnectionError
            raise self._final_error(exc, _tries(exc, self.max_retries)) from exc
        except openai.NotFoundError as exc:
            raise ModelNotFoundError(
                f"{self.base_url}: not found ({_detail(exc)}); check the model name "
                f"({self.model or 'the server default'}) and the URL") from exc
        except openai.APIStatusError as exc:
            too_long = self._context_length_error(exc)
            if too_long is not None:
                raise too_long from exc
            raise ServerResponseError(
                f"{self.base_url}: HTTP {exc.status_code}: {_detail(exc)}") from exc

    def _context_length_error(self, exc: Any) -> ContextLengthError | None:
        """A ContextLengthError for a server's "prompt too long" answer (and the context it
        names, remembered for :meth:`context_length`), else None."""
        body = getattr(exc, "body", None)
        error = body.get("error", body) if isinstance(body, Mapping) else None
        if isinstance(error, Mapping) and isinstance(error.get("n_ctx"), int):  # llama-server
            context, prompt = error["n_ctx"], error.get("n_prompt_tokens")
        else:
            found = CONTEXT_MESSAGE.search(_detail(exc))
            if found is None:
                return None
            context = int(found.group(1))
            prompt = int(found.group(2)) if found.group(2) else None
        self._context_length = context
        return ContextLengthError(
            f"{self.base_url}: HTTP {exc.status_code}: the prompt does not fit the model's "
            f"context of {context} tokens: {_detail(exc)}", context, prompt)

    def _final_error(self, exc: Exception, tries: str) -> AfsError:
        import openai

        if isinstance(exc, openai.APITimeoutError):
            return ServerUnavailableError(
                f"{self.base_url}: no answer within {self.timeout_s:g} s ({tries}); "
                "the server is overloaded or the timeout is too short")
        if isinstance(exc, openai.APIConnectionError):
            return ServerUnavailableError(
                f"no OpenAI-compatible server at {self.base_url} ({tries}: {exc}); "
                "start one (`afs deploy serve MODEL.gguf --port PORT`, LM Studio's local "
                "server, `ollama serve`) or fix the host/port")
        return ServerUnavailableError(f"{self.base_url}: {_detail(exc)} after {tries}")


def _checked_retries(value: int) -> int:
    if value < 0:
        raise ValueError(f"max_retries must be >= 0, got {value}")
    return value


def _tries(exc: Any, max_retries: int) -> str:
    """How many requests the openai client made before ``exc``: the retry count it sent with
    the last one (``x-stainless-retry-count``) plus one; ``max_retries + 1`` when unsaid. It
    can be fewer than that: a server may say not to retry (``x-should-retry``, a long
    ``Retry-After``)."""
    request = getattr(exc, "request", None)
    sent = request.headers.get("x-stainless-retry-count", "") if request is not None else ""
    tries = int(sent) + 1 if sent.isdigit() else max_retries + 1
    return f"{tries} {'try' if tries == 1 else 'tries'}"


def context_length_of(entry: Mapping[str, Any]) -> int | None:
    """The context length a ``/v1/models`` entry states (also under its ``meta``), or None."""
    for source in (entry, entry.get("meta") or {}):
        for key in CONTEXT_KEYS:
            value = source.get(key) if isinstance(source, Mapping) else None
            if isinstance(value, int) and value > 0:
                return value
    return None


def _detail(exc: Any) -> str:
    """The server's error message, short."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else error
        if message:
            return str(message)[:300]
    return str(exc)[:300]
