"""What a secret looks like: the token *shapes* redaction recognises anywhere, and the tests
for secret-like *names* and *values* that its context rules use.

The shapes are modelled on gitleaks' rule list (config/gitleaks.toml) and detect-secrets'
plugins: a provider's token prefix and length (``ghp_`` + 36, ``glpat-`` + 20, ``AKIA`` + 16,
``sk_live_``, ``hooks.slack.com/services/…``, JWTs, PEM blocks …). Each shape has keywords
(lower case): the rule runs only on text that contains one, which keeps redaction of
ordinary text to a few substring searches.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

START = r"(?<![A-Za-z0-9])"  # a token is not the tail of a word (it may follow _ or -: a_ghp_…)
END = r"(?![A-Za-z0-9_-])"

# kind -> (keywords, pattern). Order matters: a shape that contains another comes first
# (a PEM block before the base64 inside it, a JWT before anything its parts look like).
SHAPES: dict[str, tuple[tuple[str, ...], str]] = {
    # the whole block; an unterminated block (a truncated log) is cut to the end of the text
    "private_key": (("private key",),
                    r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
                    r"(?:.*?-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|.*\Z)"),
    "age_secret_key": (("age-secret-key-1",), r"AGE-SECRET-KEY-1[0-9A-Z]{58}"),
    "jwt": (("eyj",), START + r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"
                      r"(?:\.[A-Za-z0-9_-]+){0,2}"),
    "anthropic_key": (("sk-ant-",), START + r"sk-ant-[A-Za-z0-9_-]{20,}"),
    "openai_key": (("sk-",), START + r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}"),
    "github_token": (("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
                     r"(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    "gitlab_token": (("glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glsoat-", "glimt-",
                      "glagent-", "gloas-", "glcbt-", "glffct-", "gr1348941"),
                     START + r"(?:gl(?:pat|dt|rt|ptt|ft|soat|imt|agent|oas|cbt|ffct)-"
                             r"|GR1348941)[A-Za-z0-9_-]{20,}"),
    "bitbucket_token": (("atbb", "atctt3"), START + r"(?:ATBB|ATCTT3)[A-Za-z0-9_=.-]{28,}"),
    "atlassian_token": (("atatt3",), START + r"ATATT3[A-Za-z0-9_=.-]{60,}"),
    "slack_webhook": (("hooks.slack.com",),
                      r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/"
                      r"[A-Za-z0-9_/+-]{16,}"),
    "slack_token": (("xox", "xapp-"), START + r"(?:xox[abeoprs]-|xapp-|xoxe\.xox[bp]-)"
                                             r"[A-Za-z0-9-]{10,}"),
    "discord_webhook": (("/webhooks/",),
                        r"(?:https?://)?(?:[a-z]+\.)?discord(?:app)?\.com/api(?:/v\d+)?/webhooks/"
                        r"\d+/[A-Za-z0-9_-]{20,}"),
    "discord_token": ((), r"[MNO](?<![A-Za-z0-9][MNO])[A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\."
                                     r"[A-Za-z0-9_-]{27,40}" + END),
    "teams_webhook": (("webhook.office.com",),
                      r"https://[A-Za-z0-9.-]+\.webhook\.office\.com/webhookb2/[^\s\"'<>]+"),
    "telegram_bot_token": ((":a",), r"(?<![0-9])[0-9]{5,16}:A[A-Za-z0-9_-]{30,40}" + END),
    "stripe_key": (("_live_", "_test_", "_prod_", "whsec_"),
                   START + r"(?:(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{10,}"
                           r"|whsec_[A-Za-z0-9+/=]{24,})"),
    # the literal first: re then finds "SK" by a fast search, the look-behind checks it
    "twilio_key": (("sk",), r"SK(?<![A-Za-z0-9]SK)[0-9a-fA-F]{32}(?![0-9a-fA-F])"),
    "sendgrid_key": (("sg.",), START + r"SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}"),
    "mailgun_key": (("key-",), START + r"key-[0-9a-f]{32}" + END),
    "mailchimp_key": (("-us",), START + r"[0-9a-f]{32}-us[0-9]{1,2}" + END),
    "npm_token": (("npm_",), START + r"npm_[A-Za-z0-9]{36}"),
    "pypi_token": (("pypi-age",), START + r"pypi-AgE[A-Za-z0-9_-]{50,}"),
    "huggingface_token": (("hf_", "api_org_"),
                          r"(?<![A-Za-z0-9])(?:hf_[A-Za-z0-9]{30,}|api_org_[A-Za-z0-9]{30,})"),
    "google_api_key": (("aiza",), START + r"AIza[0-9A-Za-z_-]{35}"),
    "google_oauth": (("ya29.", "gocspx-"), START + r"(?:ya29\.[0-9A-Za-z_-]{20,}"
                                                   r"|GOCSPX-[A-Za-z0-9_-]{24,})"),
    "aws_access_key": (("akia", "asia", "abia", "acca", "agpa", "aida", "aipa", "anpa", "anva",
                        "apka", "aroa", "asca", "a3t"),
                       r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA"
                       r"|AROA|ASCA|A3T[A-Z0-9])[A-Z0-9]{16}"),
    "azure_storage_key": (("accountkey", "sharedaccesskey"),
                          r"(?i)(?:AccountKey|SharedAccessKey)=(?P<secret>(?!\[(?i:redacted):)"
                          r"[A-Za-z0-9+/]{40,}={0,2})"),
    "azure_client_secret": (("q~",), r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}[0-9]Q~"
                                     r"[A-Za-z0-9_~.-]{31,34}"),
    "alibaba_key": (("ltai",), START + r"LTAI[A-Za-z0-9]{20}" + END),
    # Smaller providers' unmistakable prefixes (gitleaks has a rule for each).
    "api_token": (("dapi", "dop_v1_", "doo_v1_", "dor_v1_", "dp.pt.", "dp.st.", "dp.sa.",
                   "shpat_", "shpca_", "shppa_", "shpss_", "sq0atp-", "sq0csp-", "sntrys_",
                   "sntryu_", "hvs.", "hvb.", "glsa_", "glc_", "nrak-", "pmak-", "pul-",
                   "lin_api_", "hrku-", ".atlasv1.", "fo1_", "rubygems_", "clojars_", "ops_eyj",
                   "akcp", "tskey-", "sbp_", "pscale_", "gsk_", "xai-", "pplx-", "r8_",
                   "figd_", "ntn_", "ezak", "dt0c01."),
                  START + r"(?:dapi[a-f0-9]{32}|do[opr]_v1_[a-f0-9]{64}"
                          r"|dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}"
                          r"|shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}|sq0(?:atp|csp)-[A-Za-z0-9_-]{22,}"
                          r"|sntry[su]_[A-Za-z0-9_+/=]{40,}|hv[sb]\.[A-Za-z0-9_-]{24,}"
                          r"|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2}"
                          r"|NRAK-[A-Z0-9]{27}|PMAK-[a-f0-9]{24}-[a-f0-9]{34}|pul-[a-f0-9]{40}"
                          r"|lin_api_[A-Za-z0-9]{40}|HRKU-[A-Za-z0-9_-]{30,}"
                          r"|[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,}|fo1_[A-Za-z0-9_-]{43}"
                          r"|rubygems_[a-f0-9]{48}|CLOJARS_[a-z0-9]{60}|ops_eyJ[A-Za-z0-9+/]{100,}"
                          r"|AKCp[A-Za-z0-9]{69}|tskey-[a-z]+-[A-Za-z0-9-]{20,}|sbp_[a-f0-9]{40}"
                          r"|pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.-]{32,}|gsk_[A-Za-z0-9]{52}"
                          r"|xai-[A-Za-z0-9]{80}|pplx-[A-Za-z0-9]{48}|r8_[A-Za-z0-9]{37}"
                          r"|figd_[A-Za-z0-9_-]{40}|ntn_[0-9]{11}[A-Za-z0-9]{35}"
                          r"|EZAK[a-z0-9]{54}|dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64})"),
}

# ---------------------------------------------------------------------------- names
# The name rules run only on lines holding one of these (the start of every secret word).
NAME_WORDS = ("pass", "pwd", "secret", "cred", "key", "token", "auth", "sig", "cookie",
              "contrase")
# A name is secret when its last part (split at _ - . space and camelCase) is one of these
# (``db_password``, ``X-Api-Key``, ``accessToken``), or a one-word name ends with one of the
# longer ones (``dbpassword``, ``authtoken``). Plurals such as ``max_tokens``/``keys`` count
# things and are not secret names; ``public_key`` is public.
PASSWORD_WORDS = frozenset({"password", "passwd", "passwords", "pass", "pwd", "passphrase",
                            "secret", "secrets", "credential", "credentials", "creds", "cookie",
                            "contrasena", "apikey", "privatekey", "secretkey", "accesskey",
                            "authtoken", "accesstoken", "clientsecret"})
TOKEN_WORDS = frozenset({"key", "token", "auth", "sig"})
COMPOUND_ENDINGS = ("password", "passwd", "passphrase", "secret", "token", "apikey")
# A last part that still makes the name secret after a secret word: SECRET_KEY_BASE, …
SECRET_SUFFIXES = frozenset({"base", "value", "hash", "b64", "base64", "raw", "plain",
                             "plaintext", "str", "enc", "encrypted", "hex", "bytes"})
NOT_SECRET_PARTS = frozenset({"public", "pub"})
_NAME_PARTS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


@lru_cache(maxsize=4096)
def secret_name(name: str) -> str | None:
    """``"strong"`` when a value under ``name`` is a secret whatever it looks like
    (``password``, ``api_key``, ``X-Api-Key``), ``"weak"`` for a lone generic word that is a
    secret only when its value looks random (``key``, ``token``, ``auth``), else None."""
    parts = [part.lower() for part in _NAME_PARTS.findall(name)]
    if not parts or NOT_SECRET_PARTS & set(parts):
        return None
    last = parts[-1]
    if last in SECRET_SUFFIXES and len(parts) > 1 and \
            (parts[-2] in PASSWORD_WORDS or parts[-2] in TOKEN_WORDS):
        last = parts[-2]
    if len(parts) == 1 and last in TOKEN_WORDS:
        return "weak"
    if last in PASSWORD_WORDS or last in TOKEN_WORDS:
        return "strong"
    if len(parts) == 1 and last.endswith(COMPOUND_ENDINGS):
        return "strong"
    return None


# ---------------------------------------------------------------------------- values
# Words that, after a secret name, are prose or a setting, not a secret.
NOT_SECRET_VALUES = frozenset("""
true false null none nil yes no on off undefined unset empty required optional redacted
hidden masked omitted removed n/a na tbd todo the a an is are was were be been being to of
for in on at by with from into and or not it its this that these those your you my our
their his her here there same see below above above. above, use used using set get
stored store kept keep saved save must should will would can could may might please enter
given provided missing invalid wrong correct reset changed change expired expires screen
prompt field dialog
""".split())
_PLACEHOLDER = re.compile(
    r"""\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*|\{\{.*\}\}|<[^<>]*>|%[A-Za-z_]\w*%
        |%\(\w+\)s|(.)\1*|\.\.\.|…|os\.environ.*|process\.env.*|getenv.*""", re.X)
# asm and code numbers ($05, #$1234, %0101, 0x1F), a mnemonic (LDA, STA.w), a path and a URL
# (the file or the server a secret is for, not the secret; url_password finds a URL's own)
_NOT_A_VALUE = re.compile(r"#?\$[0-9A-Fa-f]+|#?%[01]+|#?0[xX][0-9A-Fa-f]+|#?[0-9]{1,3}"
                          r"|[A-Z]{3}(?:\.[bwlBWL])?|(?:~|\.{1,2})?/.*|[A-Za-z][A-Za-z0-9+.-]*://.*")
_WORDS = re.compile(r"[A-Za-z]+(?:[ _.-][A-Za-z]+)*")  # snake_case, kebab-case, CamelCase


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_random(value: str) -> bool:
    """A token-like value: 8+ characters, letters and digits mixed, not an identifier made
    of words (``sprite_table``), not an assignment (``max_tokens=512``; base64 may end in
    ``=``), not too repetitive."""
    return (len(value) >= 8 and any(c.isdigit() for c in value) and
            "=" not in value.rstrip("=") and
            any(c.isalpha() for c in value) and not _WORDS.fullmatch(value) and
            entropy(value) >= 2.5)


def secret_value(strength: str, value: str) -> bool:
    """Whether ``value``, found after a name of ``strength`` (see secret_name), is a secret
    rather than a placeholder, a number in asm, a path or prose."""
    value = value.strip()
    if len(value) < 3 or "[redacted:" in value.lower() or value.lower() in NOT_SECRET_VALUES \
            or _PLACEHOLDER.fullmatch(value) or _NOT_A_VALUE.fullmatch(value):
        return False
    return strength == "strong" or looks_random(value)
