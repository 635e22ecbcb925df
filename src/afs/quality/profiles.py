"""The built-in scoring profiles, read from ``profiles.yml`` beside this module (package data):
light on purpose, so the CLI can offer the profile names without loading the scorer."""

from __future__ import annotations

import copy
from functools import lru_cache
from importlib import resources
from typing import Any

PROFILES_FILE = "profiles.yml"


@lru_cache(maxsize=1)
def _read_builtin_profiles() -> dict[str, dict[str, Any]]:
    import yaml  # only when the profiles are first needed

    text = resources.files(__package__).joinpath(PROFILES_FILE).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def builtin_profiles() -> dict[str, dict[str, Any]]:
    """Profile name -> settings, in the file's order (a copy: callers may change it)."""
    return copy.deepcopy(_read_builtin_profiles())


def profile_names() -> list[str]:
    """The built-in profile names, in the file's order."""
    return list(_read_builtin_profiles())
