"""Errors users see. Each names the file, the line and what to fix, on one line."""

from __future__ import annotations

from pathlib import Path


class AfsError(Exception):
    """Base class for errors AFS reports to users (the CLI prints them without a traceback)."""


class DataError(AfsError, ValueError):
    """Bad input data: `path:line: problem`."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.problem = message
        self.path = str(path) if path is not None else None
        self.line = line
        where = self.path or ""
        if line is not None:
            where = f"{where}:{line}" if where else f"line {line}"
        super().__init__(f"{where}: {message}" if where else message)


class ConfigError(AfsError, ValueError):
    """A bad argument, parameter or configuration value."""


class AfsWarning(UserWarning):
    """A result that is valid but falls short of what was asked (a ratio unmet, a group under
    its weight). The CLI prints it as one `warning: …` line; Python callers can catch it or
    turn it into an error with ``warnings.simplefilter("error", AfsWarning)``."""
