"""Redaction: no planted secret of any kind survives, each is counted once by kind, redacting
twice changes nothing, and ordinary 65816/asar text and prose are left exactly as they were."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afs.secrets.redact import KINDS, is_secret_key, marker, redact_text, redact_value
from tests import secret_kinds
from tests.secret_kinds import RECIPES

MARKERS = re.compile(r"\[REDACTED:[a-z_]+\]")

# Ordinary content: asm, hex addresses, prose, and words that merely look like secret names.
ORDINARY_WORDS = (
    "LDA #$00", "STA.w $0DD0, X", "LDA.l $7EF36C", "JSL $0DBA71", "REP #$20", "SEP #$30",
    "$7E0DD0", "$1F8000", "0xDEADBEEF", "db $FF, $00", "dw Init", "org $208000", "lorom",
    "!KEY_COUNT = $05", "keyboard", "tokenizer", "Tokenizer", "max_tokens=512", "secretary",
    "PWD=/home/agent/src", "KEYBOARD_LAYOUT=us", "key", "token", "the", "sprite",
    "Link's", "DMA", "VRAM", "HUD", "a", "skill", "task-list", "sk", "desk", "(", ")", ";",
    "https://example.com/docs", "git@github.com:org/hack.git", "http://localhost:8080/",
    "LDA.b $01, S : AND.b #$FE : STA.b $01, S", "Authorization", "Bearer", "bearer tokens",
    "PasswordScreen:", "token_count: 12", "the password screen", "Password: LDA #$00",
    "key: press A", "!SECRET_ROOM = $0127", "public_key: none", "password: required",
)
SEPARATORS = (" ", "\n", "\t", " (", ") ", ", ", "; ", " '", "' ", ' "', '" ', " = ", ": ")
assert set(RECIPES) | {"secret_field"} == set(KINDS)  # every kind has a property test


ordinary_text = st.lists(st.sampled_from(ORDINARY_WORDS), max_size=8).map(" ".join)


@st.composite
def texts_with_secrets(draw) -> tuple[str, Counter, list[str]]:
    """Ordinary text with 1-4 secrets of random kinds planted at random places."""
    kinds = draw(st.lists(st.sampled_from(sorted(RECIPES)), min_size=1, max_size=4))
    pieces, secrets = [draw(ordinary_text)], []
    for kind in kinds:
        planted, secret = draw(secret_kinds.secrets(kind))
        secrets.append(secret)
        pieces += [draw(st.sampled_from(SEPARATORS)), planted,
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


@pytest.mark.parametrize("kind", sorted(RECIPES))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_each_kind_alone_is_redacted_with_its_marker(kind, data):
    planted, secret = data.draw(secret_kinds.secrets(kind))
    redacted, counts = redact_text(f"before {planted} after")
    assert counts == {kind: 1}
    assert secret not in _without_markers(redacted)
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
    ("path", False), ("monkey", False), ("secretary", False), ("db_password", True),
    ("dbpassword", True), ("X-Auth-Token", True), ("client_secret", True), ("Cookie", True),
    ("SECRET_KEY_BASE", True), ("token_count", False), ("KEY_COUNT", False),
    ("public_key", False), ("private_key_id", False), ("PasswordScreen", False),
    ("session", False), ("passwords", True), ("num_keys", False),
])
def test_secret_key_names(key, secret):
    assert is_secret_key(key) is secret


SECRET_KEYS = ("api_key", "apiKey", "password", "DB_PASSWORD", "secret", "token",
               "accessToken", "credentials", "private_key", "x-api-key", "passwd")
ORDINARY_KEYS = ("path", "command", "tool", "max_tokens", "tokenizer", "keyboard", "notes",
                 "args", "lines")


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


def test_a_text_seen_again_is_counted_again():
    """Short texts are redacted from a cache: the second sight of one still counts its
    secrets, and the tally passed in is added to, never replaced."""
    text = "db_password=hunter2x9"
    counts = Counter({"aws_access_key": 1})
    for _ in range(3):
        assert redact_text(text, counts)[0] == "db_password=[REDACTED:secret_assignment]"
    assert counts == Counter({"aws_access_key": 1, "secret_assignment": 3})
    long_text = text + " " + "x" * 300
    assert redact_text(long_text)[1] == redact_text(long_text)[1] == Counter(
        {"secret_assignment": 1})
