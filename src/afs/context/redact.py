"""Secrets never reach a dataset: every text and payload from a `.context` passes through here.

A secret is replaced by a marker naming its kind, ``[REDACTED:aws_access_key]``, and every
replacement is counted by kind. Two kinds of rule:

- *shapes* recognised anywhere in text (PEM private keys, AWS/GitHub/Slack/OpenAI/Anthropic/
  Google keys), then *contexts* where the shape is unknown but the place says "secret"
  (``Authorization: Bearer …``, ``scheme://user:pass@host``, ``aws_secret_access_key = …``,
  ``API_TOKEN=…`` assignments, ``?api_key=…`` query parameters);
- in structured payloads, every string under a key named like a secret (``api_key``,
  ``accessToken``, ``DB_PASSWORD``, ``credentials`` …), whatever it looks like.

Shapes run before contexts, so ``Authorization: Bearer ghp_…`` counts as a github_token, and no
rule matches a marker, so redacting twice changes nothing (and counts nothing) the second time.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

MARKER = "[REDACTED:{kind}]"
_NOT_A_MARKER = r"(?!\[REDACTED:)"

# (kind, pattern): where a pattern has a group named ``secret`` only that part is replaced
# (the header name, the user name or the variable name stay readable), else the whole match.
# Order matters: specific shapes first, then the contexts that would also cover them.
_RULES: tuple[tuple[str, str], ...] = (
    # the whole block; an unterminated block (a truncated log) is cut to the end of the text
    ("private_key", r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
                    r"(?:.*?-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|.*\Z)"),
    ("anthropic_key", r"(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,}"),
    ("openai_key", r"(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}"),
    ("github_token", r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
    ("slack_token", r"(?<![A-Za-z0-9_-])xox[abprs]-[A-Za-z0-9-]{10,}"),
    ("aws_access_key", r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA"
                       r"|AROA|ASCA)[A-Z0-9]{16}"),
    ("google_api_key", r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}"),
    ("aws_secret_key", r"(?i)(?:aws_?secret_?(?:access_?)?key|secret_?access_?key)[\"']?\s*[:=]\s*"
                       r"[\"']?(?P<secret>" + _NOT_A_MARKER + r"[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"),
    # 8+ characters: "Authorization: Bearer tokens expire" is prose, not a header
    ("authorization_header", r"(?i)authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|token|basic)\s+"
                             r"(?P<secret>" + _NOT_A_MARKER + r"[^\s\"',;]{8,})"),
    ("url_password", r"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/@]+:(?P<secret>" + _NOT_A_MARKER +
                     r"[^\s/@]+)@"),
    # NAME=value (an env dump, a .env file, `export`) where a _-separated part of the
    # upper-case NAME says secret. No spaces around "=" and no "!" before the name, so an
    # asar define such as `!KEY_COUNT = $05` is not one; PWD (a folder) is not a secret name.
    ("env_secret", r"(?<![A-Za-z0-9_!$.])(?:[A-Z0-9]+_)*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD"
                   r"|PASSPHRASE|CREDENTIALS?|APIKEY)(?:_[A-Z0-9]+)*="
                   r"(?P<secret>" + _NOT_A_MARKER + r"(?:\"[^\"\n]+\"|'[^'\n]+'|[^\s\"']+))"),
    ("url_query_secret", r"(?i)[?&](?:api_?key|access_?token|auth_?token|token|key|secret"
                         r"|password)=(?P<secret>" + _NOT_A_MARKER + r"[^&\s#\"']+)"),
)
RULES = tuple((kind, re.compile(pattern, re.DOTALL if kind == "private_key" else 0))
              for kind, pattern in _RULES)
KINDS = (*(kind for kind, _ in _RULES), "secret_field")

# Parts of a dict key that make its values secret (``api_key``, ``apiKey``, ``x-api-key`` …).
SECRET_KEY_PARTS = frozenset({"key", "token", "secret", "password", "passwd", "passphrase",
                              "credential", "credentials", "apikey"})
_KEY_PARTS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def marker(kind: str) -> str:
    return MARKER.format(kind=kind)


def _replacer(kind: str, counts: Counter) -> Callable[[re.Match], str]:
    def replace(match: re.Match) -> str:
        counts[kind] += 1
        if "secret" not in match.re.groupindex:
            return marker(kind)
        start, end = match.span("secret")
        whole = match.group(0)
        return whole[: start - match.start()] + marker(kind) + whole[end - match.start():]

    return replace


def redact_text(text: str, counts: Counter | None = None) -> tuple[str, Counter]:
    """``text`` with every secret replaced by its marker, and the replacements by kind.

    Pass ``counts`` to add to an existing tally (it is also returned)."""
    counts = Counter() if counts is None else counts
    for kind, pattern in RULES:
        text = pattern.sub(_replacer(kind, counts), text)
    return text, counts


def is_secret_key(key: str) -> bool:
    """Whether a dict key names a secret: one of its parts (split at ``_ - .`` and camelCase)
    is key/token/secret/password/… (``max_tokens``, ``keyboard``, ``tokenizer`` are not)."""
    parts = {part.lower() for part in _KEY_PARTS.findall(key)}
    return bool(parts & SECRET_KEY_PARTS)


def redact_value(value: Any, counts: Counter | None = None, _secret: bool = False
                 ) -> tuple[Any, Counter]:
    """A copy of a JSON-like value (dicts, lists, strings, numbers) with secrets redacted.

    Strings are redacted as text; a non-empty string under a secret-named key (at any depth
    below it) becomes a ``secret_field`` marker whatever it looks like. Numbers, booleans and
    null are left alone: a token *count* or a ``use_api_key: false`` flag is no secret."""
    counts = Counter() if counts is None else counts
    if isinstance(value, str):
        if _secret and value and not value.startswith("[REDACTED:"):
            counts["secret_field"] += 1
            return marker("secret_field"), counts
        return redact_text(value, counts)[0], counts
    if isinstance(value, dict):
        return {key: redact_value(item, counts, _secret or
                                  (isinstance(key, str) and is_secret_key(key)))[0]
                for key, item in value.items()}, counts
    if isinstance(value, (list, tuple)):
        return [redact_value(item, counts, _secret)[0] for item in value], counts
    return value, counts
