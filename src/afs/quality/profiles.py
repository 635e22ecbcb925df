"""The built-in scoring profiles, read from ``profiles.yml`` beside this module (package data),
and which of them judges each sample domain, read from ``domain_profiles.yml``: light on
purpose, so the CLI can offer the profile names without loading the scorer."""

from __future__ import annotations

import copy
from functools import lru_cache
from importlib import resources
from typing import Any

PROFILES_FILE = "profiles.yml"
DOMAIN_PROFILES_FILE = "domain_profiles.yml"


@lru_cache(maxsize=2)
def _read_package_yaml(name: str) -> Any:
    import yaml  # only when the profiles are first needed

    return yaml.safe_load(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


def builtin_profiles() -> dict[str, dict[str, Any]]:
    """Profile name -> settings, in the file's order (a copy: callers may change it)."""
    return copy.deepcopy(_read_package_yaml(PROFILES_FILE))


def profile_names() -> list[str]:
    """The built-in profile names, in the file's order."""
    return list(_read_package_yaml(PROFILES_FILE))


def builtin_domain_profiles() -> tuple[str, dict[str, str]]:
    """(the default profile, sample domain -> profile) as ``domain_profiles.yml`` writes them."""
    document = _read_package_yaml(DOMAIN_PROFILES_FILE)
    return str(document["default"]), dict(document.get("domains") or {})
