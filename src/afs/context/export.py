"""`export_memory` / `export_history`: a `.context` folder to a JSONL dataset, atomically.

The functions behind `afs training memory-export` and `history-export`. The samples are
written with afs.samples' JSONL writer (temp file + rename); input that could not be used is
listed in the report and, when asked, in a rejects file (file, line and reason, never the raw
line: a bad line may hold a secret that redaction never saw; file names and reasons are
redacted too).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from afs.atomic_dir import atomic_outputs, atomic_write
from afs.context.history import HistoryGenerator
from afs.context.memory import MemoryGenerator
from afs.context.records import ContextGenerator
from afs.generators.files import Skipped
from afs.samples.jsonl import save_jsonl
from afs.secrets.gate import redacted_skipped

SHOWN_REASONS = 3  # skip reasons quoted in the one-line summary


@dataclass
class ExportReport:
    """What an export wrote, skipped (bad input), left out (options) and redacted."""

    output: Path
    written: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    left_out: Counter = field(default_factory=Counter)
    redactions: Counter = field(default_factory=Counter)
    limited: bool = False
    rejects_path: Path | None = None

    def summary(self) -> str:
        """One line: ``12 samples -> out.jsonl; skipped 1 (a.jsonl:3: …); redacted 2 (…)``."""
        parts = [f"{self.written} samples -> {self.output}"]
        if self.limited:
            parts[0] += " (stopped at the limit)"
        skipped = f"skipped {len(self.skipped)}"
        if self.skipped:
            shown = "; ".join(map(str, redacted_skipped(self.skipped[:SHOWN_REASONS])))
            more = f"; {len(self.skipped) - SHOWN_REASONS} more" \
                if len(self.skipped) > SHOWN_REASONS else ""
            where = f" -> {self.rejects_path}" if self.rejects_path else ""
            skipped += f" ({shown}{more}){where}"
        parts.append(skipped)
        if self.left_out:
            parts.append(f"left out {sum(self.left_out.values())} ({_counts(self.left_out)})")
        redacted = f"redacted {sum(self.redactions.values())}"
        if self.redactions:
            redacted += f" ({_counts(self.redactions)})"
        parts.append(redacted)
        return "; ".join(parts)


def _counts(counts: Counter) -> str:
    return ", ".join(f"{kind} x{n}" for kind, n in sorted(counts.items(),
                                                           key=lambda kv: (-kv[1], kv[0])))


def export_samples(generator: ContextGenerator, output: str | Path,
                   rejects_path: str | Path | None = None, progress: bool = False
                   ) -> ExportReport:
    """Run ``generator`` and write its samples to ``output`` (JSONL, atomically); the skipped
    input goes to ``rejects_path`` when given and there is any."""
    from tqdm.auto import tqdm

    output = Path(output).expanduser()
    # disable=None: drawn only on a terminal, so logs and pipes stay clean
    samples = list(tqdm(generator.generate(), desc=generator.name, unit=" samples",
                        disable=None if progress else True, leave=False))
    report = ExportReport(output=output, written=len(samples), skipped=list(generator.skipped),
                          left_out=Counter(generator.left_out),
                          redactions=Counter(generator.redactions), limited=generator.limited)
    if rejects_path is None:
        save_jsonl(samples, output)
        return report
    # the samples and the skipped input as one unit: a kill leaves both old or both new
    with atomic_outputs([output, rejects_path]) as staged:
        samples_temp, rejects_temp = staged.values()
        save_jsonl(samples, samples_temp)
        if report.skipped:
            write_rejects(report.skipped, rejects_temp)
            report.rejects_path = Path(rejects_path).expanduser()
    return report


def write_rejects(skipped: Iterable[Skipped], path: str | Path) -> Path:
    """One JSON line per skipped input: ``{"file", "line", "error"}`` (line null for a whole
    file), with any secret in a file name or reason redacted."""
    path = Path(path).expanduser()
    with atomic_write(path) as handle:
        for item in redacted_skipped(skipped):
            file, _, line = item.path.rpartition(":")
            row = {"file": file, "line": int(line), "error": item.reason} if line.isdigit() \
                else {"file": item.path, "line": None, "error": item.reason}
            handle.write(orjson.dumps(row) + b"\n")
    return path


def export_memory(memory_root: str | Path, output: str | Path, limit: int | None = None,
                  include_tags: Iterable[str] = (), exclude_tags: Iterable[str] = (),
                  min_confidence: float | None = None, rejects_path: str | Path | None = None,
                  progress: bool = False) -> ExportReport:
    """Export the memory entries under ``memory_root`` as samples (see MemoryGenerator)."""
    generator = MemoryGenerator(memory_root, limit=limit, include_tags=include_tags,
                                exclude_tags=exclude_tags, min_confidence=min_confidence)
    return export_samples(generator, output, rejects_path, progress)


def export_history(history_root: str | Path, output: str | Path, include_tools: bool = False,
                   include_tags: Iterable[str] = (), exclude_tags: Iterable[str] = (),
                   limit: int | None = None, rejects_path: str | Path | None = None,
                   progress: bool = False) -> ExportReport:
    """Export the events under ``history_root`` as samples (see HistoryGenerator)."""
    generator = HistoryGenerator(history_root, include_tools=include_tools,
                                 include_tags=include_tags, exclude_tags=exclude_tags, limit=limit)
    return export_samples(generator, output, rejects_path, progress)
