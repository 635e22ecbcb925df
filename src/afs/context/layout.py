"""The `.context` folder's layout and its ``metadata.json``: create, read, check, write.

A context is a folder named ``.context`` (the agent's home one, ``~/.context``, or one per
project, ``~/src/proj/.context``). It holds the standard folders of ``CONTEXT_DIRS`` and a
``metadata.json`` describing it. Layout and commands: docs/context_format.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from afs import __version__
from afs.atomic_dir import atomic_write
from afs.errors import ConfigError, DataError
from afs.jsonl_input import decode_utf8
from afs.safe_fs import ContextFS

CONTEXT_DIR_NAME = ".context"
METADATA_FILE = "metadata.json"
SCHEMA_VERSION = 1
# folder -> what it holds (the docs and `afs context init` show these)
CONTEXT_DIRS = {
    "memory": "what the agent learned: *.jsonl, *.json, *.md entries",
    "history": "what the agent did: events_YYYYMMDD.jsonl (+ payloads/)",
    "knowledge": "reference material the agent reads: docs, notes, symbol files",
    "scratchpad": "working notes of the current task; never exported",
    "tools": "tool definitions and scripts the agent may run",
    "embeddings": "this context's embedding index cache (rebuildable)",
    "training": "training data made from this context (rehearsal buffers, evals)",
}
REQUIRED_FIELDS = ("schema_version", "name", "created", "updated")
_NAME_BAD = re.compile(r"[\x00-\x1f\x7f]")
MAX_NAME_LENGTH = 200
HOME_CONTEXT_NAME = "default"  # the name of ~/.context when none is given


@dataclass(frozen=True)
class ContextInfo:
    """A context folder and what its ``metadata.json`` says."""

    path: Path
    name: str
    created: str
    updated: str
    schema_version: int = SCHEMA_VERSION
    afs_version: str | None = None

    @classmethod
    def from_metadata(cls, path: Path, metadata: dict[str, Any]) -> ContextInfo:
        return cls(path=path, name=metadata["name"], created=metadata["created"],
                   updated=metadata["updated"], schema_version=metadata["schema_version"],
                   afs_version=metadata.get("afs_version"))

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "name": self.name, "created": self.created,
                "updated": self.updated, "schema_version": self.schema_version,
                "afs_version": self.afs_version}


def context_dir(path: str | Path) -> Path:
    """The context folder that ``--path`` names: ``path`` itself when it is called
    ``.context``, else ``path/.context`` (``path`` is then the project folder)."""
    path = Path(path).expanduser()
    return path if path.name == CONTEXT_DIR_NAME else path / CONTEXT_DIR_NAME


def default_context_name(root: Path) -> str:
    """``default`` for ``~/.context``, else the project folder's name."""
    parent = Path(root).expanduser().absolute().parent
    if parent == Path.home() or not parent.name:
        return HOME_CONTEXT_NAME
    return parent.name


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second (``2025-03-14T19:05:02Z``)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def check_name(name: str) -> str:
    """``name`` stripped, or a ConfigError saying why it cannot name a context."""
    stripped = name.strip() if isinstance(name, str) else ""
    if not stripped:
        raise ConfigError("context name is empty")
    if len(stripped) > MAX_NAME_LENGTH or _NAME_BAD.search(stripped):
        raise ConfigError(f"context name {name!r} must be one line of at most "
                          f"{MAX_NAME_LENGTH} printable characters")
    return stripped


def new_metadata(name: str, created: str | None = None) -> dict[str, Any]:
    """A fresh ``metadata.json`` document."""
    stamp = now_iso()
    return {"schema_version": SCHEMA_VERSION, "name": check_name(name),
            "created": created or stamp, "updated": stamp, "afs_version": __version__}


def metadata_problems(metadata: Any) -> list[str]:
    """What is wrong with a parsed ``metadata.json`` (empty when nothing is)."""
    if not isinstance(metadata, dict):
        return [f"must be a JSON object, not {type(metadata).__name__}"]
    problems = [f"no {field!r} field" for field in REQUIRED_FIELDS if field not in metadata]
    version = metadata.get("schema_version", SCHEMA_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        problems.append(f"schema_version must be a positive integer, not {version!r}")
    elif version > SCHEMA_VERSION:
        problems.append(f"schema_version {version} is newer than this afs reads "
                        f"({SCHEMA_VERSION}): upgrade afs")
    if "name" in metadata:
        try:
            check_name(metadata["name"])
        except ConfigError as exc:
            problems.append(str(exc))
    for field in ("created", "updated"):
        if field in metadata and not _is_iso_time(metadata[field]):
            problems.append(f"{field} must be an ISO 8601 time, not {metadata[field]!r}")
    if not isinstance(metadata.get("afs_version", ""), str):
        problems.append("afs_version must be a string")
    return problems


def load_metadata_file(path: str | Path) -> Any:
    """The parsed JSON of a ``metadata.json`` file; a DataError naming the file and line when
    it is not UTF-8 JSON (an OSError when it cannot be read)."""
    path = Path(path)
    text = decode_utf8(path.read_bytes(), path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"not JSON: {exc.msg}", path=path, line=exc.lineno) from None


def safe_metadata_path(root: str | Path) -> Path:
    """``root/metadata.json``, checked before it is read: a ContextEscapeError when it is a
    symlink that leads out of the context (whose target is never read)."""
    root = Path(root).expanduser()
    ContextFS(root).resolve(METADATA_FILE)
    return root / METADATA_FILE


def read_metadata(root: str | Path) -> dict[str, Any]:
    """The checked ``metadata.json`` of the context folder ``root`` (a DataError if bad)."""
    path = safe_metadata_path(root)
    metadata = load_metadata_file(path)
    problems = metadata_problems(metadata)
    if problems:
        raise DataError("; ".join(problems), path=path)
    return metadata


def write_metadata(root: str | Path, metadata: dict[str, Any]) -> Path:
    """Write ``metadata.json`` into ``root`` atomically (a crash leaves the old one)."""
    path = Path(root).expanduser() / METADATA_FILE
    with atomic_write(path, "wb") as handle:
        handle.write((json.dumps(metadata, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return path


def create_layout(root: Path) -> list[Path]:
    """Create ``root`` and its missing standard folders; returns the folders it created."""
    created = [] if root.is_dir() else [root]
    root.mkdir(parents=True, exist_ok=True)
    for name in CONTEXT_DIRS:
        folder = root / name
        if not folder.is_dir():
            if folder.exists() or folder.is_symlink():
                raise ConfigError(f"{folder}: exists and is not a folder; move it away first")
            folder.mkdir()
            created.append(folder)
    return created


def init_context(path: str | Path, name: str | None = None, force: bool = False) -> ContextInfo:
    """Create the context that ``path`` names (see :func:`context_dir`) with the standard
    folders and a ``metadata.json`` naming it ``name`` (default: :func:`default_context_name`).

    An existing folder without ``metadata.json`` is adopted (its files are kept). One that has a
    ``metadata.json`` is refused unless ``force``, which rewrites the metadata (keeping its
    ``created`` time and any extra fields when it is readable). Nothing is ever deleted.
    """
    root = context_dir(path)
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root}: exists and is not a folder")
    name = check_name(name if name is not None else default_context_name(root))
    metadata_path = root / METADATA_FILE
    old: dict[str, Any] = {}
    if metadata_path.exists() or metadata_path.is_symlink():
        if not force:
            raise ConfigError(f"{root}: already a context ({METADATA_FILE} exists); "
                              "pass --force to rewrite its metadata")
        # a symlinked metadata.json is replaced, never read: it may lead out of the context
        old = {} if metadata_path.is_symlink() else _readable_metadata(metadata_path)
    create_layout(root)
    created = old.get("created") if _is_iso_time(old.get("created")) else None
    metadata = {**old, **new_metadata(name, created=created)}
    if metadata_path.is_symlink():  # never write through a link to somewhere else
        metadata_path.unlink()
    write_metadata(root, metadata)
    return ContextInfo.from_metadata(root, metadata)


def _readable_metadata(path: Path) -> dict[str, Any]:
    """The old metadata as a dict when it parses as a JSON object, else ``{}``."""
    try:
        metadata = load_metadata_file(path)
    except (OSError, DataError):
        return {}
    return metadata if isinstance(metadata, dict) else {}


def _is_iso_time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
