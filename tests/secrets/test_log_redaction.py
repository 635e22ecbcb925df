"""Secrets never reach a log: in a Kedro session (the project's settings) every record on every
handler of conf/logging.yml (console and logs/afs.log) is redacted: messages, %-args,
tracebacks and library warnings."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

from afs.secrets.log_redaction import install_log_redaction, redact_record
from tests import secret_kinds

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Configure logging from the project's own file as Kedro does, import the project's settings, then log each planted text on every route a
# record takes in a kedro run: AFS's lines, Kedro's warnings, a library's error with its
# traceback, and a Python warning.
LOGGING_SCRIPT = """
import json, logging, sys, warnings
import yaml
from kedro.framework.project import LOGGING
LOGGING.configure(yaml.safe_load(open("conf/logging.yml")))  # as Kedro applies it
import afs.settings  # what a kedro session imports first
logging.captureWarnings(True)
for text in json.loads(sys.argv[1]):
    logging.getLogger("afs.curation").info("kept %s", text)
    logging.getLogger("kedro.io").warning("dataset said: " + text)
    try:
        raise ValueError("bad payload " + text)
    except ValueError:
        logging.getLogger("mlflow.store").exception("request failed")
    warnings.warn("library saw " + text, UserWarning)
"""


def test_no_planted_secret_reaches_the_console_or_the_log_file(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "logs").mkdir()
    (tmp_path / "conf" / "logging.yml").write_text(
        (PROJECT_ROOT / "conf" / "logging.yml").read_text())
    examples = secret_kinds.planted_examples()
    planted = [text for text, _ in examples.values()]

    result = subprocess.run([sys.executable, "-c", LOGGING_SCRIPT, json.dumps(planted)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})

    assert result.returncode == 0, result.stderr
    console = result.stdout + result.stderr
    log = (tmp_path / "logs" / "afs.log").read_text()
    assert log.count("[REDACTED:") >= len(planted) * 4  # every route wrote its record
    assert "Traceback" in log and "ValueError: bad payload" in log
    for kind, (_, secret) in examples.items():
        assert secret not in console, kind
        assert secret not in log, kind


def record(message: str, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("afs", logging.INFO, "x.py", 1, message, args, exc_info)


def test_a_message_and_its_args_are_redacted_once_and_clean_records_keep_their_args():
    token = "ghp_" + "a1B2c3D4e5" * 4
    with_secret = redact_record(record("pushed with %s to %s", token, "origin"))
    clean = redact_record(record("kept %d of %d", 3, 4))

    assert with_secret.getMessage() == "pushed with [REDACTED:github_token] to origin"
    assert with_secret.args is None
    assert clean.getMessage() == "kept 3 of 4"


def test_a_traceback_holding_a_secret_is_kept_as_redacted_text():
    token = "ghp_" + "a1B2c3D4e5" * 4
    try:
        raise RuntimeError(f"auth {token}")
    except RuntimeError:
        failing = record("request failed", exc_info=sys.exc_info())
    try:
        raise RuntimeError("no secret here")
    except RuntimeError:
        harmless = record("request failed", exc_info=sys.exc_info())

    redact_record(failing)
    redact_record(harmless)

    assert failing.exc_info is None  # a rich handler cannot render the live exception again
    assert "RuntimeError: auth [REDACTED:github_token]" in failing.exc_text
    assert token not in logging.Formatter().format(failing)
    assert harmless.exc_info is not None  # nothing to hide: rich tracebacks stay


def test_installing_twice_redacts_once_and_keeps_the_factory_before_it():
    before = logging.getLogRecordFactory()
    try:
        install_log_redaction()
        installed = logging.getLogRecordFactory()
        install_log_redaction()
        assert logging.getLogRecordFactory() is installed
        assert installed.make is before
        made = installed("afs", logging.INFO, "x.py", 1, "token=%s", ("s3cr3t-V4lue-9xQ",), None)
        assert made.getMessage() == "token=[REDACTED:secret_assignment]"
    finally:
        logging.setLogRecordFactory(before)
