"""Model-backed agents: the options they share and the client they talk through.

Every model-backed agent takes ``--endpoint`` (an OpenAI-compatible server: LM Studio,
llama.cpp's server, `afs deploy serve`, Ollama), ``--model``, ``--temperature``,
``--max-tokens``, ``--timeout`` and ``--retries``, and asks through
:class:`afs.deployment.client.LMStudioClient`, which retries and names the server in its errors.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from afs.agents.base import Agent
from afs.config import load_config
from afs.deployment.client import ContextLengthError, LMStudioClient
from afs.errors import AfsError, ConfigError

DEFAULT_ENDPOINT_HOST = "127.0.0.1"
DEFAULT_ENDPOINT_PORT = 8000  # `afs deploy serve` and llama.cpp's server
DEFAULT_TEMPERATURE = 0.2
DEFAULT_MAX_TOKENS = 512
DEFAULT_TIMEOUT_S = 120.0
DEFAULT_RETRIES = 3
# Prompt fitting: characters per token assumed until the server has counted one of our prompts
# (code and Markdown rarely pack more), the share of a small context an answer may take, a
# reserve for the chat template's own tokens, and how often a prompt is cut further.
CHARS_PER_TOKEN_GUESS = 2.0
ANSWER_SHARE = 0.5
TEMPLATE_TOKENS = 16
FIT_TRIES = 4


def default_endpoint() -> str:
    """``http://127.0.0.1:PORT``: PORT is ``orchestration.port`` of the AFS config when one
    sets it, else 8000."""
    port = getattr(getattr(load_config(), "orchestration", None), "port", None)
    return f"http://{DEFAULT_ENDPOINT_HOST}:{port or DEFAULT_ENDPOINT_PORT}"


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every model-backed agent shares."""
    group = parser.add_argument_group("model server")
    group.add_argument("--endpoint", metavar="URL", default=None,
                       help="OpenAI-compatible server, http://host:port or its /v1 root "
                            "[default: http://127.0.0.1:<orchestration.port of the AFS config, "
                            f"else {DEFAULT_ENDPOINT_PORT}>]")
    group.add_argument("--model", metavar="ID", default=None,
                       help="model id on the server [default: the server's first model]")
    group.add_argument("--temperature", type=float, default=DEFAULT_TEMPERATURE,
                       help="sampling temperature")
    group.add_argument("--max-tokens", type=int, default=DEFAULT_MAX_TOKENS,
                       help="longest answer, in tokens")
    group.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                       help="how long one request may take")
    group.add_argument("--retries", type=int, default=DEFAULT_RETRIES,
                       help="retries of a failed request, with exponential backoff")


def client_from_args(args: argparse.Namespace) -> LMStudioClient:
    """The client for ``--endpoint``/``--model``/``--timeout``/``--retries``."""
    for flag, value, low in (("--retries", args.retries, 0), ("--max-tokens", args.max_tokens, 1)):
        if value < low:
            raise ConfigError(f"{flag} must be at least {low}, got {value}")
    if args.timeout <= 0:
        raise ConfigError(f"--timeout must be positive, got {args.timeout:g}")
    return LMStudioClient.from_url(args.endpoint or default_endpoint(), model=args.model,
                                   timeout_s=args.timeout, max_retries=args.retries)


class ModelAgent(Agent):
    """An agent that asks a model: its parser has the shared model options, and
    :meth:`client` and :meth:`ask` talk to the server they name."""

    model_backed: ClassVar[bool] = True

    def build_parser(self) -> argparse.ArgumentParser:
        parser = super().build_parser()
        add_model_arguments(parser)
        return parser

    @staticmethod
    def client(args: argparse.Namespace) -> LMStudioClient:
        return client_from_args(args)

    @staticmethod
    def ask(client: LMStudioClient, args: argparse.Namespace, prompt: str,
            system: str | None = None) -> str:
        """The model's answer to ``prompt`` with the run's temperature and token limit."""
        return client.chat(prompt, temperature=args.temperature, max_tokens=args.max_tokens,
                           system=system)


@dataclass(frozen=True)
class FittedAnswer:
    """A model's answer and how much of the material its prompt held (None: all of it)."""

    text: str
    material_chars: int | None


def ask_within_context(client: LMStudioClient, args: argparse.Namespace, system: str,
                       render: Callable[[int | None], str]) -> FittedAnswer:
    """Ask with the longest prompt the served model's context holds.

    ``render(limit)`` builds the prompt with at most ``limit`` characters of its material
    (None: all of it). The context comes from the server (``client.context_length()``); when it
    does not say, the full prompt is tried and the server's "too long" answer teaches both the
    context and how many characters a token holds, and the prompt is cut to fit. The answer
    gets at most half of a context too small for ``--max-tokens``.
    """
    limit, chars_per_token = None, CHARS_PER_TOKEN_GUESS
    for _ in range(FIT_TRIES):
        context = client.context_length()
        max_tokens = answer_tokens(args.max_tokens, context)
        if context is not None and limit is None:
            limit = material_limit(context, max_tokens, chars_per_token, system, render)
        prompt = render(limit)
        try:
            return FittedAnswer(client.chat(prompt, temperature=args.temperature,
                                            max_tokens=max_tokens, system=system), limit)
        except ContextLengthError as exc:
            if exc.prompt_tokens:  # the server counted this prompt: use its ratio, less 10 %
                chars_per_token = 0.9 * (len(system) + len(prompt)) / exc.prompt_tokens
            else:
                chars_per_token *= 0.7
            context = exc.context_length
            limit = material_limit(context, answer_tokens(args.max_tokens, context),
                                   chars_per_token, system, render)
    raise AfsError(f"the prompt still does not fit the model's context of {context} tokens "
                   f"after {FIT_TRIES} tries; use a model with a larger context")


def answer_tokens(max_tokens: int, context: int | None) -> int:
    """``max_tokens``, or half the context when the context is too small for it."""
    if context is None:
        return max_tokens
    return max(1, min(max_tokens, int(context * ANSWER_SHARE)))


def material_limit(context: int, max_tokens: int, chars_per_token: float, system: str,
                   render: Callable[[int | None], str]) -> int:
    """Characters of material that fit beside the prompt's fixed text and the answer."""
    fixed = len(system) + len(render(0))
    room = int((context - max_tokens - TEMPLATE_TOKENS) * chars_per_token) - fixed
    if room <= 0:
        raise AfsError(f"the model's context of {context} tokens holds no material: the answer "
                       f"({max_tokens} tokens) and the prompt's fixed text ({fixed} characters) "
                       "fill it; lower --max-tokens, shorten the prompt or use a model with a "
                       "larger context")
    return room
