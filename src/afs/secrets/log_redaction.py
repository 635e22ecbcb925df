"""Secrets never reach a log: every log record is redacted as it is made, before any handler
(console, ``logs/afs.log``, a notebook) sees it.

Installed by the project settings (``install_log_redaction``), as a log-record factory rather
than a filter in ``conf/logging.yml``: Kedro refuses logging classes outside ``logging`` and
``kedro.logging`` unless every user sets ``KEDRO_LOGGING_MODULE_ALLOWLIST``, and a filter would
be lost each time logging is configured again, while the factory holds for every logger and
handler, Kedro's, MLflow's and any library's.

A record's message is formatted once (``msg % args``), redacted and stored back with no args.
A traceback is redacted too: when it holds a secret (an exception's message can quote a
payload), the redacted traceback text is kept and the live exception dropped, because a rich
handler would render it again from the exception object.
"""

from __future__ import annotations

import logging
from typing import Any

from afs.secrets.redact import redacted

_TRACEBACKS = logging.Formatter()


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """``record`` with every secret in its message, traceback and stack replaced by its
    ``[REDACTED:kind]`` marker (changed in place, and returned)."""
    message = record.getMessage()
    clean = redacted(message)
    if clean != message or record.args:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[0] is not None:
        _redact_traceback(record)
    if record.stack_info:
        record.stack_info = redacted(record.stack_info)
    return record


def _redact_traceback(record: logging.LogRecord) -> None:
    text = record.exc_text or _TRACEBACKS.formatException(record.exc_info)
    clean = redacted(text)
    if clean != text:
        record.exc_info = None
    record.exc_text = clean


class _RedactingFactory:
    """The record factory in force before, followed by ``redact_record``."""

    def __init__(self, make: Any) -> None:
        self.make = make

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(self.make(*args, **kwargs))


def install_log_redaction() -> None:
    """Redact every log record of this process from now on (calling it again changes
    nothing)."""
    current = logging.getLogRecordFactory()
    if not isinstance(current, _RedactingFactory):
        logging.setLogRecordFactory(_RedactingFactory(current))
