"""Repair contexts: create missing standard folders and write or fix ``metadata.json``.

Repairs only add: nothing is deleted or moved, except that an unreadable ``metadata.json``
is kept beside the new one as ``metadata.json.bak``. Problems a repair cannot fix (broken
symlinks, unreadable files, a file where a folder belongs) are left for
`afs context validate` to report.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afs.context.discovery import (
    DEFAULT_IGNORE,
    DEFAULT_MAX_DEPTH,
    OnError,
    discover_contexts,
    outside_root,
)
from afs.context.layout import (
    CONTEXT_DIRS,
    METADATA_FILE,
    REQUIRED_FIELDS,
    SCHEMA_VERSION,
    default_context_name,
    load_metadata_file,
    metadata_problems,
    new_metadata,
    write_metadata,
)
from afs.errors import ConfigError, DataError

BACKUP_SUFFIX = ".bak"


@dataclass(frozen=True)
class Action:
    """One repair, done or (in a dry run) to do."""

    path: Path
    kind: str  # create_dir | write_metadata | fix_metadata
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "kind": self.kind, "detail": self.detail}


@dataclass
class ContextRepair:
    """The repairs of one context."""

    path: Path
    actions: list[Action] = field(default_factory=list)
    skipped: str | None = None  # why the context was left alone

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "actions": [action.to_dict() for action in self.actions],
                "skipped": self.skipped}


def ensure_context(path: str | Path, dry_run: bool = False) -> list[Action]:
    """Bring the context folder ``path`` to the standard layout; the actions taken (or, with
    ``dry_run``, the actions that would be taken; nothing is written then)."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise ConfigError(f"{root}: no such context folder")
    actions = [Action(root / name, "create_dir", "create the standard folder")
               for name in CONTEXT_DIRS if not os.path.lexists(root / name)]
    metadata_action, metadata, backup = _metadata_repair(root)
    if metadata_action is not None:
        actions.append(metadata_action)
    if dry_run:
        return actions
    for action in actions:
        if action.kind == "create_dir":
            action.path.mkdir()
    if backup:  # the old file may hold the user's notes: keep it
        os.replace(root / METADATA_FILE, _backup_path(root / METADATA_FILE))
    if metadata is not None:
        write_metadata(root, metadata)
    return actions


def ensure_all(root: str | Path, ignore: Iterable[str] = DEFAULT_IGNORE,
               max_depth: int = DEFAULT_MAX_DEPTH, dry_run: bool = False,
               on_error: OnError | None = None) -> list[ContextRepair]:
    """:func:`ensure_context` for every context that :func:`discover_contexts` finds under
    ``root`` (with the same ``ignore``, ``max_depth`` and ``on_error``). Nothing is written
    outside ``root``: a context reached through a symlink that leads out of it is left alone,
    with the reason in its ``skipped``."""
    repairs = []
    for found in discover_contexts(root, ignore=ignore, max_depth=max_depth, on_error=on_error):
        reason = outside_root(found, root)
        repairs.append(ContextRepair(found.path, skipped=reason) if reason else
                       ContextRepair(found.path, ensure_context(found.path, dry_run=dry_run)))
    return repairs


def _metadata_repair(root: Path) -> tuple[Action | None, dict[str, Any] | None, bool]:
    """The metadata action for ``root``, the document to write (both None when the metadata
    is fine, is a symlink, or was written by a newer afs, which this one must not rewrite) and
    whether to keep the old file as a backup (when it is not a JSON object)."""
    path = root / METADATA_FILE
    if not os.path.lexists(path):
        metadata = new_metadata(default_context_name(root))
        return Action(path, "write_metadata", f"write {METADATA_FILE} naming the context "
                                              f"{metadata['name']!r}"), metadata, False
    if os.path.islink(path):  # the user's; never read through (it may lead out): validate says
        return None, None, False
    try:
        old = load_metadata_file(path)
    except (OSError, DataError) as exc:
        reason = exc.problem if isinstance(exc, DataError) else (exc.strerror or str(exc))
        return _replacement(path, reason)
    problems = metadata_problems(old)
    if not problems or _newer_schema(old):
        return None, None, False
    if not isinstance(old, dict):
        return _replacement(path, problems[0])
    return Action(path, "fix_metadata", "; ".join(problems)), _fixed(old, root), False


def _replacement(path: Path, reason: str) -> tuple[Action, dict[str, Any], bool]:
    metadata = new_metadata(default_context_name(path.parent))
    return Action(path, "fix_metadata", f"{reason}: keep it as {METADATA_FILE}{BACKUP_SUFFIX} "
                                        "and write a new one"), metadata, True


def _fixed(old: dict[str, Any], root: Path) -> dict[str, Any]:
    """``old`` with each missing or bad required field replaced and extra fields kept."""
    fresh = new_metadata(default_context_name(root))
    kept = {key: value for key, value in old.items()
            if key not in REQUIRED_FIELDS or not metadata_problems({**fresh, key: value})}
    return {**fresh, **kept, "updated": fresh["updated"], "afs_version": fresh["afs_version"]}


def _newer_schema(metadata: Any) -> bool:
    version = metadata.get("schema_version") if isinstance(metadata, dict) else None
    return isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION


def _backup_path(path: Path) -> Path:
    """``metadata.json.bak``, or ``.bak2``, ``.bak3``… when earlier backups exist."""
    candidate, number = path.with_name(path.name + BACKUP_SUFFIX), 1
    while os.path.lexists(candidate):
        number += 1
        candidate = path.with_name(f"{path.name}{BACKUP_SUFFIX}{number}")
    return candidate
