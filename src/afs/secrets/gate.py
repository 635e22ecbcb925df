"""The redaction gate: every sample any generator makes passes through it before it is written,
and every skipped input's path and reason before they are shown."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Iterator

from afs.safe_fs import Skipped
from afs.samples.model import TrainingSample
from afs.secrets.redact import redact_text, redact_value, redacted

REDACTIONS_KEY = "redactions"  # _metadata key: replacements by kind
_TEXT_FIELDS = ("instruction", "input", "output", "thinking", "domain", "source")


def redact_sample(sample: TrainingSample, redactions: Counter | None = None) -> TrainingSample:
    """``sample`` with every field that reaches an output redacted: instruction, input,
    output, thinking, domain, source, ``_metadata`` (tags, ids, paths …) and unknown
    top-level keys. The replacements (plus ``redactions``, those of the record it came from)
    are added to ``_metadata["redactions"]``; a sample with nothing to redact comes back as
    it was. Redacting a redacted sample changes nothing."""
    counts = Counter(redactions or {})
    fields = {name: redact_text(getattr(sample, name), counts)[0]
              for name in _TEXT_FIELDS if getattr(sample, name)}
    metadata = redact_value({k: v for k, v in sample._metadata.items() if k != REDACTIONS_KEY},
                            counts)[0]
    shadowed = redact_value(sample._shadowed, counts)[0]
    if not counts:
        return sample
    earlier = sample._metadata.get(REDACTIONS_KEY)
    total = counts + Counter(earlier if isinstance(earlier, dict) else {})
    metadata[REDACTIONS_KEY] = dict(sorted(total.items()))
    return dataclasses.replace(sample, **fields, _metadata=metadata, _shadowed=shadowed)


def redact_samples(samples: Iterable[TrainingSample], totals: Counter | None = None
                   ) -> Iterator[TrainingSample]:
    """Each sample redacted (redact_sample): what every generator's output passes through
    before it is written, whichever generator made it. ``totals`` adds up the samples'
    ``_metadata["redactions"]`` (those their generator made included)."""
    for sample in samples:
        sample = redact_sample(sample)
        if totals is not None:
            totals.update(sample._metadata.get(REDACTIONS_KEY) or {})
        yield sample


def redacted_skipped(skipped: Iterable[Skipped]) -> list[Skipped]:
    """Skipped inputs with any secret in their path or reason redacted."""
    return [Skipped(redacted(item.path), redacted(item.reason)) for item in skipped]
