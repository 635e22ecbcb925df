"""Redaction: no planted secret of any kind survives, each is counted once by kind, redacting
twice changes nothing, and ordinary 65816/asar text and prose are left exactly as they were."""

from __future__ import annotations

import re
import string
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afs.context.redact import KINDS, is_secret_key, marker, redact_text, redact_value

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
MARKERS = re.compile(r"\[REDACTED:[a-z_]+\]")
BASE64 = ALNUM + "+/"

# Ordinary content: asm, hex addresses, prose, and words that merely look like secret names.
ORDINARY_WORDS = (
    "LDA #$00", "STA.w $0DD0, X", "LDA.l $7EF36C", "JSL $0DBA71", "REP #$20", "SEP #$30",
    "$7E0DD0", "$1F8000", "0xDEADBEEF", "db $FF, $00", "dw Init", "org $208000", "lorom",
    "!KEY_COUNT = $05", "keyboard", "tokenizer", "Tokenizer", "max_tokens=512", "secretary",
    "passwords", "PWD=/home/agent/src", "KEYBOARD_LAYOUT=us", "key", "token", "the", "sprite",
    "Link's", "DMA", "VRAM", "HUD", "a", "skill", "task-list", "sk", "desk", "(", ")", ";",
    "https://example.com/docs", "git@github.com:org/hack.git", "http://localhost:8080/",
    "LDA.b $01, S : AND.b #$FE : STA.b $01, S", "Authorization", "Bearer", "bearer tokens",
)
SEPARATORS = (" ", "\n", "\t", " (", ") ", ", ", "; ", " '", "' ", ' "', '" ', " = ", ": ")


def _chars(alphabet: str, size: int, max_size: int | None = None) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=size, max_size=size if max_size is None else max_size)


def _joined(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map("".join)


_KEPT: list[str] = [*ORDINARY_WORDS, *SEPARATORS]  # text that redaction rightly leaves


def _named(*names: str) -> st.SearchStrategy[str]:
    """One of fixed ``names`` (a header, variable or user name: kept by redaction)."""
    _KEPT.extend(names)
    return st.sampled_from(names)


def _value(alphabet: str, size: int, max_size: int) -> st.SearchStrategy[str]:
    """A secret value that is no part of the text redaction keeps: hypothesis would otherwise
    find `password` as a value and `password` as a key, and call that a survivor."""
    return _chars(alphabet, size, max_size).filter(lambda value: value not in KEPT_TEXT)


PEM_TYPES = st.sampled_from(["", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", "DSA "])
PEM_BODY = st.lists(_chars(BASE64, 1, 64), min_size=1, max_size=5).map("\n".join)


@st.composite
def private_keys(draw) -> str:
    kind = draw(PEM_TYPES)
    return f"-----BEGIN {kind}PRIVATE KEY-----\n{draw(PEM_BODY)}\n-----END {kind}PRIVATE KEY-----"


# kind -> strategy for a secret of that kind, as it would appear in text
SECRETS: dict[str, st.SearchStrategy[str]] = {
    "private_key": private_keys(),
    "aws_access_key": _joined(st.sampled_from(["AKIA", "ASIA", "AROA"]), _chars(UPPER_DIGITS, 16)),
    "aws_secret_key": _joined(
        st.sampled_from(["aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "SecretAccessKey",
                         "aws_secret_key"]),
        st.sampled_from([" = ", "=", ": ", '": "']), _chars(BASE64, 40)),
    "github_token": st.one_of(
        _joined(st.sampled_from(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]), _chars(ALNUM, 36, 40)),
        _joined(st.just("github_pat_"), _chars(ALNUM + "_", 22, 82))),
    "slack_token": _joined(st.sampled_from(["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"]),
                           _chars(string.digits, 10, 13), st.just("-"), _chars(ALNUM, 12, 24)),
    "openai_key": st.one_of(
        _joined(st.just("sk-"), _chars(ALNUM, 48)),
        _joined(st.sampled_from(["sk-proj-", "sk-svcacct-"]), _chars(ALNUM + "_-", 40, 120))),
    "anthropic_key": _joined(st.just("sk-ant-api03-"), _chars(ALNUM + "_-", 80, 100)),
    "google_api_key": _joined(st.just("AIza"), _chars(ALNUM + "_-", 35)),
    "authorization_header": _joined(
        _named("Authorization: Bearer ", "authorization: bearer ", '"Authorization": "Bearer ',
               "Authorization: Basic ", "Authorization: token "),
        _value(ALNUM + "._~+/=-", 16, 64)),
    "url_password": _joined(
        _named("https://", "postgres://", "ftp://", "redis://"),
        _named("agent", "ci", "deploy", "romtester"),
        st.just(":"), _chars(ALNUM + "!$%^*()_+~-", 1, 30), st.just("@"),
        _named("db.example.invalid", "10.0.0.7:5432", "roms.example.invalid/upload")),
    "env_secret": _joined(
        _named("DB_PASSWORD=", "API_TOKEN=", "SENTRY_AUTH_TOKEN=", "NPM_TOKEN=", "STRIPE_SECRET=",
               "SMTP_PASSWD=", "GOOGLE_CREDENTIALS=", "MY_API_KEY=", "export ROM_SERVER_KEY="),
        _value(ALNUM + ".", 8, 40)),
    "url_query_secret": _joined(
        _named("https://api.example.invalid/v1/roms?api_key=",
               "https://ci.example.invalid/hook?page=2&token=",
               "http://localhost:9000/upload?access_token="),
        _value(ALNUM + "-._~", 8, 40)),
}
assert set(SECRETS) | {"secret_field"} == set(KINDS)  # every kind has a property test


def _secret_part(kind: str, secret: str) -> str:
    """The part of a planted secret that must not survive (a header name, user name or
    variable name may stay)."""
    if kind == "url_password":
        return ":" + secret.split("://", 1)[1].rsplit("@", 1)[0].split(":", 1)[1] + "@"
    if kind == "aws_secret_key":
        return secret[-40:]
    if kind == "authorization_header":
        return secret.split()[-1]
    if kind in ("env_secret", "url_query_secret"):
        return secret.rsplit("=", 1)[1]
    return secret


ordinary_text = st.lists(st.sampled_from(ORDINARY_WORDS), max_size=8).map(" ".join)


@st.composite
def texts_with_secrets(draw) -> tuple[str, Counter, list[str]]:
    """Ordinary text with 1-4 secrets of random kinds planted at random places."""
    kinds = draw(st.lists(st.sampled_from(sorted(SECRETS)), min_size=1, max_size=4))
    pieces, secrets = [draw(ordinary_text)], []
    for kind in kinds:
        secret = draw(SECRETS[kind])
        secrets.append(_secret_part(kind, secret))
        pieces += [draw(st.sampled_from(SEPARATORS)), secret,
                   draw(st.sampled_from(SEPARATORS)), draw(ordinary_text)]
    return "".join(pieces), Counter(kinds), secrets


@settings(max_examples=400, deadline=None)
@given(texts_with_secrets())
def test_no_planted_secret_survives_and_each_is_counted_once(case):
    text, expected, secrets = case
    redacted, counts = redact_text(text)
    for secret in secrets:
        assert secret not in _without_markers(redacted)
    assert counts == expected
    for kind in expected:
        assert marker(kind) in redacted


@pytest.mark.parametrize("kind", sorted(SECRETS))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_each_kind_alone_is_redacted_with_its_marker(kind, data):
    secret = data.draw(SECRETS[kind])
    redacted, counts = redact_text(f"before {secret} after")
    assert counts == {kind: 1}
    assert _secret_part(kind, secret) not in _without_markers(redacted)
    assert redacted.startswith("before ") and redacted.endswith(" after")


@settings(max_examples=300, deadline=None)
@given(ordinary_text)
def test_ordinary_text_is_never_redacted(text):
    assert redact_text(text) == (text, Counter())


@pytest.mark.parametrize("text", [
    "  LDA #$00 : STA.w $2100      ; forced blank off",
    "LDA.w $0DD0, X : CMP.b #$09 : BNE .skip",
    "JSL $0DBA71 ; Sprite_PrepOamCoordLong at $7E0DD0 and $1F8000",
    "The keyboard and the tokenizer are fine; max_tokens=512, token_count: 12.",
    "!KEY_COUNT = $05\n!SECRET_ROOM = $0127\nPWD=/home/agent/src/alttp-hack",
    "sha 3d42585f0e1a45b4c9e5ddd0e077422a92c379ab is a commit, not an AWS secret",
    "git@github.com:org/alttp-hack.git and https://github.com/org/alttp-hack/pull/12",
    "Authorization: Bearer tokens expire after an hour",
    "incsrc \"Sprites/spirit_wisp.asm\" ; the wisp sprite",
])
def test_no_false_positives_on_normal_content(text):
    assert redact_text(text) == (text, Counter())


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), texts_with_secrets().map(lambda case: case[0])))
def test_redacting_twice_changes_nothing_the_second_time(text):
    once, _ = redact_text(text)
    assert redact_text(once) == (once, Counter())


@pytest.mark.parametrize("key, secret", [
    ("api_key", True), ("apiKey", True), ("x-api-key", True), ("DB_PASSWORD", True),
    ("passwd", True), ("SecretAccessKey", True), ("accessToken", True), ("credentials", True),
    ("Private-Key", True), ("keyboard", False), ("tokenizer", False), ("max_tokens", False),
    ("path", False), ("monkey", False), ("secretary", False),
])
def test_secret_key_names(key, secret):
    assert is_secret_key(key) is secret


SECRET_KEYS = ("api_key", "apiKey", "password", "DB_PASSWORD", "secret", "token",
               "accessToken", "credentials", "private_key", "x-api-key", "passwd")
ORDINARY_KEYS = ("path", "command", "tool", "max_tokens", "tokenizer", "keyboard", "notes",
                 "args", "lines")
KEPT_TEXT = "\n".join([*_KEPT, *SECRET_KEYS, *ORDINARY_KEYS, *map(marker, KINDS)])


def _without_markers(text: str) -> str:
    return MARKERS.sub("", text)


def _leaf_texts(value) -> str:
    """Every string of a JSON-like value (not its keys), one a line."""
    if isinstance(value, dict):
        return "\n".join(_leaf_texts(item) for item in value.values())
    if isinstance(value, list):
        return "\n".join(_leaf_texts(item) for item in value)
    return value if isinstance(value, str) else ""


@st.composite
def payloads(draw, depth: int = 0) -> tuple[dict, Counter, list[str]]:
    """A nested dict with non-empty strings under secret-named keys (at any depth below them)
    and secrets planted in ordinary text elsewhere; the expected counts and the secrets."""
    value, expected, secrets = {}, Counter(), []
    for _ in range(draw(st.integers(1, 4))):
        secret = draw(st.booleans())
        key = draw(st.sampled_from(SECRET_KEYS if secret else ORDINARY_KEYS))
        if key in value:
            continue  # a key drawn twice would replace the first value and its expected counts
        if secret:
            leaves = draw(st.lists(st.text(min_size=1, max_size=30).filter(
                lambda s: not s.startswith("[REDACTED:")), min_size=1, max_size=3))
            value[key] = leaves[0] if len(leaves) == 1 else \
                {f"part{i}": leaf for i, leaf in enumerate(leaves)}
            expected["secret_field"] += len(leaves)
        elif depth < 2 and draw(st.booleans()):
            inner, inner_expected, inner_secrets = draw(payloads(depth + 1))
            value[key] = [inner, draw(st.integers())]
            expected += inner_expected
            secrets += inner_secrets
        else:
            text, text_expected, text_secrets = draw(texts_with_secrets())
            value[key] = text
            expected += text_expected
            secrets += text_secrets
    return value, expected, secrets


def _strings_under_secret_keys(value, secret=False):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_under_secret_keys(item, secret or is_secret_key(key))
    elif isinstance(value, list):
        for item in value:
            yield from _strings_under_secret_keys(item, secret)
    elif isinstance(value, str) and secret:
        yield value


@settings(max_examples=300, deadline=None)
@given(payloads())
def test_structured_payloads_lose_every_secret_and_count_each(case):
    payload, expected, secrets = case
    redacted, counts = redact_value(payload)
    assert counts == expected
    assert set(_strings_under_secret_keys(redacted)) <= {marker("secret_field")}
    leaves = _without_markers(_leaf_texts(redacted))
    for secret in secrets:
        assert secret not in leaves
    assert redact_value(redacted)[1] == Counter()  # idempotent on payloads too


def test_numbers_flags_and_empty_strings_under_secret_keys_are_kept():
    payload = {"token_count": 812, "use_api_key": False, "password": "", "api_key": None,
               "tokenizer": "ASMTokenizer", "max_tokens": 1024}
    assert redact_value(payload) == (payload, Counter())


def test_unterminated_private_key_is_cut_to_the_end():
    text = "log:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow...truncated"
    assert redact_text(text) == ("log:\n[REDACTED:private_key]", Counter(private_key=1))


def test_shapes_win_over_contexts():
    text = 'curl -H "Authorization: Bearer ghp_' + "a1" * 18 + '" https://api.github.com'
    redacted, counts = redact_text(text)
    assert counts == {"github_token": 1}
    assert 'Authorization: Bearer [REDACTED:github_token]"' in redacted
