"""`TrainingSample`: the one canonical record every AFS stage reads and writes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from afs.samples.formats import AlpacaConverter
from afs.samples.values import is_missing

# Top-level keys with a meaning of their own; every other key is "unknown" and kept in _metadata.
CANONICAL_FIELDS = ("instruction", "input", "output", "thinking", "domain", "source", "quality_score")
REQUIRED_FIELDS = ("instruction", "output")
STRING_FIELDS = ("instruction", "input", "output", "thinking", "domain", "source")
# Written by to_dict for convenience; derived, so always recomputed on load.
DERIVED_FIELDS = ("sample_id",)
METADATA_KEY = "_metadata"
DEFAULT_DOMAIN = "general"

_ID_SEPARATOR = "\x1f"  # unit separator: cannot be confused with text in any field


def compute_sample_id(instruction: str, input: str, output: str) -> str:  # noqa: A002
    """Stable content hash over instruction, input and output (16 hex chars)."""
    text = _ID_SEPARATOR.join((instruction, input or "", output))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def sample_ids(instruction: Any, input: Any, output: Any) -> Any:  # noqa: A002
    """``compute_sample_id`` of each row of three Arrow string columns (no nulls), as an Arrow
    string array: the digests of each row's UTF-8 bytes, turned to hex in numpy."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = [pc.cast(column, pa.large_string()) for column in (instruction, input, output)]
    joined = pc.binary_join_element_wise(*parts, pa.scalar(_ID_SEPARATOR, pa.large_string()))
    texts = joined.cast(pa.large_binary()).to_pylist()
    blake2b = hashlib.blake2b
    digests = np.frombuffer(b"".join([blake2b(t, digest_size=8).digest() for t in texts]),
                            dtype=np.uint8)
    hex_digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    hex_text = hex_digits[np.column_stack([digests >> 4, digests & 15])].tobytes()
    offsets = np.arange(0, 16 * len(texts) + 1, 16, dtype=np.int32)
    return pa.StringArray.from_buffers(len(texts), pa.py_buffer(offsets), pa.py_buffer(hex_text))


# _metadata key naming the data_generation source a sample came from (curation rebalances by it)
ORIGIN_KEY = "origin"


@dataclass
class TrainingSample:
    """One instruction-tuning example.

    Unknown top-level keys met on load are kept in ``_metadata`` and written back at the top
    level on save, so a load -> save round trip loses nothing.
    """

    instruction: str
    output: str
    input: str = ""
    thinking: str | None = None
    domain: str = DEFAULT_DOMAIN
    source: str = ""
    quality_score: float | None = None
    _metadata: dict[str, Any] = field(default_factory=dict)
    # Names of unknown top-level keys that live in _metadata (written back at the top level).
    _top_level_keys: tuple[str, ...] = field(default=(), repr=False)
    # Unknown top-level keys whose name was already taken in _metadata (kept, never dropped).
    _shadowed: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def sample_id(self) -> str:
        return compute_sample_id(self.instruction, self.input, self.output)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingSample:
        """Build a sample from a JSON object; unknown keys go to ``_metadata``."""
        metadata = dict(data.get(METADATA_KEY) or {})
        top_level: list[str] = []
        shadowed: dict[str, Any] = {}
        for key, value in data.items():
            if key in CANONICAL_FIELDS or key in DERIVED_FIELDS or key == METADATA_KEY:
                continue
            if key in metadata:
                shadowed[key] = value
            else:
                metadata[key] = value
                top_level.append(key)
        quality = data.get("quality_score")
        return cls(
            instruction=data["instruction"],
            output=data["output"],
            input=data.get("input") or "",
            thinking=None if is_missing(data.get("thinking")) else data.get("thinking"),
            domain=DEFAULT_DOMAIN if is_missing(data.get("domain")) else data["domain"],
            source="" if is_missing(data.get("source")) else data["source"],
            quality_score=None if is_missing(quality) else float(quality),
            _metadata=metadata,
            _top_level_keys=tuple(top_level),
            _shadowed=shadowed,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: canonical fields, then unknown keys, then ``_metadata``."""
        data: dict[str, Any] = {
            "sample_id": self.sample_id,
            "instruction": self.instruction,
            "input": self.input,
            "output": self.output,
        }
        if self.thinking is not None:
            data["thinking"] = self.thinking
        data["domain"] = self.domain
        data["source"] = self.source
        if self.quality_score is not None:
            data["quality_score"] = self.quality_score
        metadata = dict(self._metadata)
        for key in self._top_level_keys:
            if key in metadata:
                data[key] = metadata.pop(key)
        data.update(self._shadowed)
        if metadata:
            data[METADATA_KEY] = metadata
        return data

    def to_json(self) -> str:
        return orjson.dumps(self.to_dict()).decode("utf-8")

    def to_alpaca(self) -> dict[str, str]:
        """Alpaca record (``instruction``, ``input``, ``output``), thinking kept inline."""
        return AlpacaConverter().convert(self)
