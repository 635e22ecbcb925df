"""Fake secrets of every kind afs.secrets.redact knows, as they appear in text: hypothesis
strategies for the property tests and fixed examples (a seeded draw) for the end-to-end test.

A recipe returns ``(planted, secret)``: the text as planted (a header or variable name may be
part of it) and the part that must never survive. Every token is random, made here: no real
credential, and none that a provider would accept.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Sequence

from hypothesis import strategies as st

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
LOWER_DIGITS = string.ascii_lowercase + string.digits
HEX = "0123456789abcdef"
BASE64 = ALNUM + "+/"
URLSAFE = ALNUM + "_-"


class Draw:
    """What a recipe may ask for; drawn by hypothesis (shrinks) or by a seeded Random."""

    def __init__(self, draw: Callable | None = None, seed: int = 0):
        self._draw, self._random = draw, random.Random(seed)

    def text(self, alphabet: str, size: int, max_size: int | None = None) -> str:
        max_size = size if max_size is None else max_size
        if self._draw is not None:
            return self._draw(st.text(alphabet=alphabet, min_size=size, max_size=max_size))
        return "".join(self._random.choice(alphabet) for _ in
                       range(self._random.randint(size, max_size)))

    def choice(self, options: Sequence):
        if self._draw is not None:
            return self._draw(st.sampled_from(options))
        return self._random.choice(options)

    def token(self, size: int, max_size: int | None = None) -> str:
        """A random credential value: letters and digits, at least one of each, as random as
        a real one (a drawn seed, not shrunk to ``a0000000``, which no scanner calls secret)."""
        seed = self._draw(st.integers(0, 2**32)) if self._draw else self._random.getrandbits(32)
        rng = random.Random(seed)
        body = "".join(rng.choice(ALNUM) for _ in range(rng.randint(size, max_size or size) - 2))
        return rng.choice(string.ascii_letters) + body + rng.choice(string.digits)


def _token(prefix: str | Sequence[str], alphabet: str, size: int, max_size: int | None = None):
    def recipe(d: Draw) -> tuple[str, str]:
        first = prefix if isinstance(prefix, str) else d.choice(prefix)
        secret = first + d.text(alphabet, size, max_size)
        return secret, secret
    return recipe


def _uuid(d: Draw) -> str:
    return "-".join(d.text(HEX, n) for n in (8, 4, 4, 4, 12))


def _private_key(d: Draw):
    kind = d.choice(["", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", "DSA "])
    lines = "\n".join(d.text(BASE64, 40, 64) for _ in range(3))
    block = f"-----BEGIN {kind}PRIVATE KEY-----\n{lines}\n-----END {kind}PRIVATE KEY-----"
    return block, lines.split("\n")[1]


def _jwt(d: Draw):
    secret = f"eyJ{d.text(URLSAFE, 12, 40)}.eyJ{d.text(URLSAFE, 12, 60)}.{d.text(URLSAFE, 20, 43)}"
    return secret, secret


def _slack_webhook(d: Draw):
    secret = (f"https://hooks.slack.com/services/T{d.text(UPPER_DIGITS, 8, 10)}/"
              f"B{d.text(UPPER_DIGITS, 8, 10)}/{d.text(ALNUM, 24)}")
    return secret, secret.split("//", 1)[1]


def _discord_webhook(d: Draw):
    secret = (f"https://{d.choice(['', 'ptb.', 'canary.'])}discord.com/api/webhooks/"
              f"{d.text(string.digits, 17, 19)}/{d.text(URLSAFE, 60, 68)}")
    return secret, secret.rsplit("/", 1)[1]


def _discord_token(d: Draw):
    secret = (f"{d.choice('MNO')}{d.text(ALNUM, 23)}.{d.text(ALNUM, 6)}."
              f"{d.text(ALNUM, 27)}")
    return secret, secret


def _teams_webhook(d: Draw):
    secret = (f"https://contoso.webhook.office.com/webhookb2/{_uuid(d)}@{_uuid(d)}/"
              f"IncomingWebhook/{d.text(HEX, 32)}/{_uuid(d)}")
    return secret, secret.split("webhookb2/", 1)[1]


def _telegram(d: Draw):
    secret = f"{d.choice('123456789')}{d.text(string.digits, 7, 9)}:AA{d.text(URLSAFE, 33)}"
    return secret, secret


def _sendgrid(d: Draw):
    secret = f"SG.{d.text(URLSAFE, 22)}.{d.text(URLSAFE, 43)}"
    return secret, secret


def _mailchimp(d: Draw):
    secret = f"{d.text(HEX, 32)}-us{d.text(string.digits, 1, 2)}"
    return secret, secret


def _azure_storage(d: Draw):
    key = d.text(BASE64, 86) + "=="
    return (f"DefaultEndpointsProtocol=https;AccountName=romstore;AccountKey={key};"
            "EndpointSuffix=core.windows.net", key)


def _azure_client_secret(d: Draw):
    secret = f"{d.text(ALNUM, 3)}{d.choice('0123456789')}Q~{d.text(ALNUM + '_~.-', 31, 34)}"
    return secret, secret


def _api_token(d: Draw):
    prefix, alphabet, size = d.choice([
        ("dapi", HEX, 32), ("dop_v1_", HEX, 64), ("shpat_", HEX, 32), ("hvs.", URLSAFE, 90),
        ("lin_api_", ALNUM, 40), ("pul-", HEX, 40), ("sbp_", HEX, 40), ("gsk_", ALNUM, 52),
        ("pplx-", ALNUM, 48), ("r8_", ALNUM, 37), ("rubygems_", HEX, 48),
        ("tskey-auth-", ALNUM, 30), ("NRAK-", UPPER_DIGITS, 27)])
    secret = prefix + d.text(alphabet, size)
    return secret, secret


def _aws_secret_key(d: Draw):
    name = d.choice(["aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "SecretAccessKey",
                     "aws_secret_key"])
    secret = d.text(BASE64, 40)
    separator = d.choice([" = ", "=", ": ", '": "'])
    return f"{name}{separator}{secret}", secret


def _authorization(d: Draw):
    secret = d.token(16, 64)
    if d.choice([True, False]):
        header = d.choice(["Authorization: Bearer ", "authorization: bearer ",
                           '"Authorization": "Bearer ', "Authorization: Basic ",
                           "Authorization: token ", "Proxy-Authorization: Basic "])
    else:
        header = d.choice(["Bearer ", "-H 'Authorization: ", "bearer "])
    return header + secret, secret


def _basic_auth(d: Draw):
    secret = d.token(8, 24)
    user = d.choice(["admin", "ci", "deploy"])
    form = d.choice(["curl -u {u}:{p} https://roms.example.invalid",
                     "curl --user {u}:{p} -X POST", 'curl --user "{u}:{p}" https://x'])
    return form.format(u=user, p=secret), secret


def _url_password(d: Draw):
    secret = d.text(ALNUM + "!$%^*()_+~-", 1, 30)
    scheme = d.choice(["https://", "postgres://", "postgresql://", "mongodb+srv://", "redis://",
                       "amqp://", "mysql://", "ftp://"])
    user = d.choice(["agent", "ci", "deploy", "romtester", ""])
    host = d.choice(["db.example.invalid", "10.0.0.7:5432", "cluster0.example.invalid/app"])
    return f"{scheme}{user}:{secret}@{host}", f":{secret}@"


SECRET_NAMES = ("db_password", "password", "PASSWORD", "Password", "passwd", "DB_PASS",
                "api_key", "apiKey", "API_KEY", "X-Api-Key", "x-auth-token", "client_secret",
                "Secret", "SECRET_KEY", "access_token", "refreshToken", "private_key",
                "ConnectionPassword", "SMTP_PASSWD", "sentry_auth_token", "Private-Token",
                "npm_token", "spring.datasource.password", "passphrase", "credentials")
ASSIGNMENT_FORMATS = (
    "{n}={v}", "export {n}={v}", '{n}="{v}"', "{n}: {v}", '"{n}": "{v}"', "{n} = {v}",
    "{n} = '{v}'", "{n}: {v}\n", "{n} := \"{v}\"", "'{n}' => '{v}'", '\\"{n}\\": \\"{v}\\"',
    "https://api.example.invalid/v1?page=2&{n}={v}", "--{n}={v}", "--{n} {v}",
    "<{n}>{v}</{n}>", "the {n}={v} here", "set {n} to x; {n}: {v}", "{n}:{v}",
    "Host=db;{n}={v};Port=5432",
)


def _assignment(d: Draw):
    # the value: random (it must not be a placeholder, a word of prose or an asm number)
    # and without the characters that end a value in one of the formats
    secret = d.token(8, 40)
    name = d.choice(SECRET_NAMES)
    form = d.choice(ASSIGNMENT_FORMATS)
    if form.startswith("--") or form.startswith("<"):
        name = name.replace(".", "-").replace("_", "-")  # a flag or a tag name
    return form.format(n=name, v=secret), secret


RECIPES: dict[str, Callable[[Draw], tuple[str, str]]] = {
    "private_key": _private_key,
    "age_secret_key": _token("AGE-SECRET-KEY-1", UPPER_DIGITS, 58),
    "jwt": _jwt,
    "anthropic_key": _token(["sk-ant-api03-", "sk-ant-admin01-"], URLSAFE, 80, 100),
    "openai_key": _token(["sk-", "sk-proj-", "sk-svcacct-"], ALNUM, 40, 120),
    "github_token": _token(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], ALNUM, 36, 40),
    "gitlab_token": _token(["glpat-", "gldt-", "glrt-", "glft-", "glsoat-", "GR1348941"],
                           URLSAFE, 20, 30),
    "bitbucket_token": _token("ATBB", ALNUM, 32, 40),
    "atlassian_token": _token("ATATT3", URLSAFE + "=", 180, 190),
    "slack_webhook": _slack_webhook,
    "slack_token": _token(["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xapp-1-"],
                          ALNUM + "-", 20, 60),
    "discord_webhook": _discord_webhook,
    "discord_token": _discord_token,
    "teams_webhook": _teams_webhook,
    "telegram_bot_token": _telegram,
    "stripe_key": _token(["sk_live_", "rk_live_", "sk_test_", "rk_test_", "whsec_"],
                         ALNUM, 24, 99),
    "twilio_key": _token("SK", HEX, 32),
    "sendgrid_key": _sendgrid,
    "mailgun_key": _token("key-", HEX, 32),
    "mailchimp_key": _mailchimp,
    "npm_token": _token("npm_", ALNUM, 36),
    "pypi_token": _token(["pypi-AgEIcHlwaS5vcmc", "pypi-AgENdGVzdC5weXBpLm9yZw"], URLSAFE, 70, 120),
    "huggingface_token": _token(["hf_", "api_org_"], string.ascii_letters, 34),
    "google_api_key": _token("AIza", URLSAFE, 35),
    "google_oauth": _token(["ya29.", "GOCSPX-"], URLSAFE, 28, 60),
    "aws_access_key": _token(["AKIA", "ASIA", "AROA", "AIDA"], UPPER_DIGITS, 16),
    "azure_storage_key": _azure_storage,
    "azure_client_secret": _azure_client_secret,
    "alibaba_key": _token("LTAI", ALNUM, 20),
    "api_token": _api_token,
    "aws_secret_key": _aws_secret_key,
    "authorization_header": _authorization,
    "basic_auth": _basic_auth,
    "url_password": _url_password,
    "secret_assignment": _assignment,
}


def secrets(kind: str) -> st.SearchStrategy[tuple[str, str]]:
    """``(planted, secret)`` of ``kind``, drawn by hypothesis."""
    return st.composite(lambda draw: RECIPES[kind](Draw(draw)))()


def planted_examples(seed: int = 15) -> dict[str, tuple[str, str]]:
    """One fixed ``(planted, secret)`` per kind (a seeded draw)."""
    return {kind: recipe(Draw(seed=seed + index))
            for index, (kind, recipe) in enumerate(RECIPES.items())}
