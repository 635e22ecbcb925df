"""Secrets never reach a dataset: every text, payload, file name and message that comes from a
`.context` (or any generator) passes through here before it is written anywhere.

A secret is replaced by a marker naming its kind, ``[REDACTED:aws_access_key]``, and every
replacement is counted by kind. Three kinds of rule, in this order:

- *shapes* recognised anywhere (secret_rules.SHAPES: PEM private keys, JWTs, cloud, VCS,
  chat, payment and AI provider tokens and webhook URLs, modelled on gitleaks and
  detect-secrets);
- *contexts* where the shape is unknown but the place says "secret": an ``Authorization``
  header, ``Bearer …``, ``curl -u user:pass``, ``scheme://user:pass@host``,
  ``aws_secret_access_key = …``, and ``name = value`` in any format (``.env``, YAML, JSON,
  INI, HTTP headers, URL queries, CLI flags, XML, prose) where the name is secret-like in any
  case (``db_password``, ``X-Api-Key``, ``Secret``) and the value is not a placeholder, an asm
  number or a word of prose;
- in structured payloads, every string under a key named like a secret (``api_key``,
  ``accessToken``, ``DB_PASSWORD``, ``credentials`` …), whatever it looks like.

Shapes run before contexts, so ``Authorization: Bearer ghp_…`` counts as a github_token, and no
rule matches a marker, so redacting twice changes nothing (and counts nothing) the second time.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from afs.secrets.rules import NAME_WORDS, SHAPES, secret_name, secret_value

MARKER = "[REDACTED:{kind}]"
# in any case: tags are compared lower-case, so a marker in a tag is "[redacted:…]"
_NOT_A_MARKER = r"(?!\[(?i:redacted):)"
# a name starts at a word boundary, also right after an escaped newline or tab (``\nKEY=``)
_NAME_START = r"(?:(?<![A-Za-z0-9_.!$@/-])|(?<=\\[nrt]))"
# a value: quoted (JSON and shell escapes kept inside), or up to white space, without the
# punctuation that ends a clause
_VALUE = (r"(?:\\\"(?P<v1>" + _NOT_A_MARKER + r"(?:[^\"\\\n]|\\[^\"\n])+)\\\""
          r"|\"(?P<v2>" + _NOT_A_MARKER + r"(?:[^\"\\\n]|\\.)+)\""
          r"|'(?P<v3>" + _NOT_A_MARKER + r"[^'\n]+)'"
          r"|`(?P<v4>" + _NOT_A_MARKER + r"[^`\n]+)`"
          r"|(?P<v5>" + _NOT_A_MARKER + r"[^\s\"'`<>\\]*[^\s\"'`<>\\.,;:)\]}]))")
_VALUE_GROUPS = ("v1", "v2", "v3", "v4", "v5")


@dataclass(frozen=True)
class Rule:
    """A kind of secret: where ``pattern`` matches (and ``secret_span`` gives a span) that span
    is replaced: the group ``secret``, or the whole match; so a header, user or variable name
    stays readable. ``keywords``: the rule runs only on text whose lower-case form holds one
    (none: always). A ``line_local`` rule is searched only in the lines that hold one of its
    keywords: the name rules, whose regex would otherwise try every word of a text."""

    kind: str
    pattern: re.Pattern
    keywords: tuple[str, ...] = ()
    secret_span: Callable[[re.Match], tuple[int, int] | None] = lambda match: match.span()
    line_local: bool = False


def _group_span(match: re.Match) -> tuple[int, int] | None:
    return match.span("secret") if "secret" in match.re.groupindex else match.span()


def _assigned_value_span(match: re.Match) -> tuple[int, int] | None:
    """The value's span when the name is secret-like and the value a plausible secret."""
    strength = secret_name(match.group("name"))
    group = next(name for name in _VALUE_GROUPS
                 if name in match.re.groupindex and match.group(name) is not None)
    if strength is None or not secret_value(strength, match.group(group)):
        return None
    return match.span(group)


def _unnamed_credential_span(match: re.Match) -> tuple[int, int] | None:
    """An ``Authorization:`` value with a scheme is a credential; without one (or after a bare
    ``Bearer``) only when it looks like a token: "Authorization: required" is prose."""
    if match.groupdict().get("scheme") or secret_value("weak", match.group("secret")):
        return match.span("secret")
    return None


_SCHEMES = r"bearer|token|basic|digest|apikey|api-key|bot|sso-key|ssws|oauth|negotiate|ntlm"
_CONTEXTS: tuple[tuple[str, tuple[str, ...], str, Callable | None], ...] = (
    ("aws_secret_key", ("secret",),
     r"(?i)(?:aws_?secret_?(?:access_?)?key|secret_?access_?key)[\"']?\s*[:=]\s*"
     r"[\"']?(?P<secret>" + _NOT_A_MARKER + r"[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])", None),
    ("authorization_header", ("authorization",),
     r"(?i)(?<![A-Za-z0-9_])(?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*[\"']?"
     r"(?:(?P<scheme>" + _SCHEMES + r")[ \t]+)?(?P<secret>" + _NOT_A_MARKER +
     r"[^\s\"',;]{8,})", _unnamed_credential_span),
    ("authorization_header", ("bearer",),
     r"(?i)(?<![A-Za-z0-9_])bearer[ \t]+(?P<secret>" + _NOT_A_MARKER +
     r"[A-Za-z0-9._~+/=-]{16,})", _unnamed_credential_span),
    # curl -u user:password, --user "user:password"
    ("basic_auth", ("-u", "--user"),
     r"(?<![A-Za-z0-9_-])(?:-u|--user)(?:[ \t]+|=)[\"']?[^\s:\"']*:(?P<secret>" + _NOT_A_MARKER +
     r"[^\s\"'@]+)", None),
    # scheme://user:password@host (user may be empty: redis://:password@host)
    ("url_password", ("://",),
     r"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/@]*:(?P<secret>" + _NOT_A_MARKER + r"[^\s/@]+)@", None),
    # <password>…</password>
    ("secret_assignment", NAME_WORDS,
     r"<(?P<name>[A-Za-z_][\w.:-]*)>(?P<v5>" + _NOT_A_MARKER + r"[^<\n]+)</(?P=name)>",
     _assigned_value_span),
    # --password hunter2 (a flag and its value, no "=")
    ("secret_assignment", NAME_WORDS,
     r"(?<![\w-])--(?P<name>[A-Za-z][\w-]*)[ \t]+(?!-)" + _VALUE, _assigned_value_span),
    # name=value, name: value, "name": "value", name := value, name => value, …
    ("secret_assignment", NAME_WORDS,
     _NAME_START + r"(?:--?)?(?P<nq>\\?[\"'`]?)(?P<name>[A-Za-z_][\w.-]*?)(?P=nq)"
     r"[ \t]*(?:=>|:=|==|=|:(?![:=]))[ \t]*" + _VALUE, _assigned_value_span),
)


def _rules() -> tuple[Rule, ...]:
    shapes = [Rule(kind, re.compile(pattern, re.DOTALL if kind == "private_key" else 0),
                   keywords, _group_span) for kind, (keywords, pattern) in SHAPES.items()]
    contexts = [Rule(kind, re.compile(pattern), keywords, span or _group_span,
                     line_local=keywords is NAME_WORDS)
                for kind, keywords, pattern, span in _CONTEXTS]
    return (*shapes, *contexts)


RULES = _rules()
KINDS = (*dict.fromkeys(rule.kind for rule in RULES), "secret_field")
_RULES_OF: dict[str, list[int]] = {}  # keyword -> the rules (by index) it lets run
for _index, _rule in enumerate(RULES):
    for _word in _rule.keywords:
        _RULES_OF.setdefault(_word, []).append(_index)
_KEYWORDS = tuple(_RULES_OF)
_ALWAYS = tuple(index for index, rule in enumerate(RULES) if not rule.keywords)
_NAME_WORD = re.compile("|".join(NAME_WORDS))


def marker(kind: str) -> str:
    return MARKER.format(kind=kind)


def _keyword_lines(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each line of ``text`` that holds a secret word, in order."""
    lines: list[tuple[int, int]] = []
    for hit in _NAME_WORD.finditer(text.lower()):
        if lines and hit.start() < lines[-1][1]:
            continue
        start = text.rfind("\n", 0, hit.start()) + 1
        end = text.find("\n", hit.end())
        lines.append((start, len(text) if end < 0 else end))
    return lines


def _secret_spans(rule: Rule, text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Where in ``text[start:end]`` the secrets ``rule`` finds are. Where a match is no secret
    (``user=sa;password=…``: user is no secret name) the search goes on right after the
    name, so the secret behind it is still found (``re.sub`` would skip past it)."""
    spans, position = [], start
    while (match := rule.pattern.search(text, position, end)) is not None:
        span = rule.secret_span(match)
        if span is None:
            position = match.end("name") if "name" in match.re.groupindex else match.start() + 1
            continue
        spans.append(span)
        position = max(match.end(), span[1], position + 1)
    return spans


def _apply(rule: Rule, text: str, counts: Counter, windows: list[tuple[int, int]]) -> str:
    """``text`` with each secret ``rule`` finds in ``windows`` replaced by its marker, counted."""
    spans = [span for start, end in windows for span in _secret_spans(rule, text, start, end)]
    if not spans:
        return text
    counts[rule.kind] += len(spans)
    pieces, done = [], 0
    for start, end in spans:
        pieces += [text[done:start], marker(rule.kind)]
        done = end
    return "".join(pieces) + text[done:]


# Short texts (metadata values, kinds, names) repeat across samples: their results are cached
# (the keyword scan is most of the cost of a short text). Long texts are rarely seen twice.
_CACHED_BELOW = 256


def redact_text(text: str, counts: Counter | None = None) -> tuple[str, Counter]:
    """``text`` with every secret replaced by its marker, and the replacements by kind.

    Pass ``counts`` to add to an existing tally (it is also returned)."""
    counts = Counter() if counts is None else counts
    if len(text) < _CACHED_BELOW:
        text, found = _redact_short(text)
        if found:
            counts.update(dict(found))
        return text, counts
    return _redact(text, counts), counts


@functools.lru_cache(maxsize=16384)
def _redact_short(text: str) -> tuple[str, tuple[tuple[str, int], ...]]:
    found: Counter = Counter()
    return _redact(text, found), tuple(found.items())


def _redact(text: str, counts: Counter) -> str:
    """``text`` redacted by every rule that can match it; replacements added to ``counts``."""
    lowered = text.lower()
    # the rules that can match: those without keywords and those whose keyword is here
    applicable = set(_ALWAYS)
    for word in _KEYWORDS:
        if word in lowered:
            applicable.update(_RULES_OF[word])
    lines_of: tuple[str, list[tuple[int, int]]] | None = None  # the text and its secret lines
    for rule in map(RULES.__getitem__, sorted(applicable)):
        if not rule.line_local:
            text = _apply(rule, text, counts, [(0, len(text))])
            continue
        if lines_of is None or lines_of[0] is not text:  # computed again only after a change
            lines_of = (text, _keyword_lines(text))
        text = _apply(rule, text, counts, lines_of[1])
    return text


def redacted(text: str) -> str:
    """``text`` with its secrets replaced, for a message or a file name (nothing counted)."""
    return redact_text(text)[0]


def is_secret_key(key: str) -> bool:
    """Whether a dict key names a secret: its last part (split at ``_ - .`` and camelCase)
    is key/token/secret/password/… (``max_tokens``, ``keyboard``, ``tokenizer``,
    ``token_count``, ``public_key`` are not)."""
    return secret_name(key) is not None


def redact_value(value: Any, counts: Counter | None = None, _secret: bool = False
                 ) -> tuple[Any, Counter]:
    """A copy of a JSON-like value (dicts, lists, strings, numbers) with secrets redacted.

    Strings are redacted as text; a non-empty string under a secret-named key (at any depth
    below it) becomes a ``secret_field`` marker whatever it looks like. Numbers, booleans and
    null are left alone: a token *count* or a ``use_api_key: false`` flag is no secret. Keys
    are redacted as text too (a secret can be a key)."""
    counts = Counter() if counts is None else counts
    if isinstance(value, str):
        if _secret and value and not value[:10].lower().startswith("[redacted:"):
            counts["secret_field"] += 1
            return marker("secret_field"), counts
        return redact_text(value, counts)[0], counts
    if isinstance(value, dict):
        return {_redacted_key(key, counts): redact_value(
                    item, counts, _secret or (isinstance(key, str) and is_secret_key(key)))[0]
                for key, item in value.items()}, counts
    if isinstance(value, (list, tuple)):
        return [redact_value(item, counts, _secret)[0] for item in value], counts
    return value, counts


def _redacted_key(key: Any, counts: Counter) -> Any:
    return redact_text(key, counts)[0] if isinstance(key, str) else key
