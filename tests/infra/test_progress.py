"""afs.progress: the one progress helper (tqdm bars on a terminal, plain lines otherwise)."""

from __future__ import annotations

import io
import logging
import time

from afs.progress import Reporter, amount, as_reporter, format_duration


def lines_of(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_lines_with_rate_and_eta_when_not_a_terminal():
    stream = io.StringIO()  # isatty() is False, like a pipe or a log file
    reporter = Reporter(stream=stream, every=0.0, quiet_for=0.0)
    assert reporter.bar is False
    phase = reporter.phase("epoch 1/3", total=4)
    for _ in range(4):
        phase.update(1)
    phase.close("val ROC AUC 0.9")
    lines = lines_of(stream)
    assert lines[0] == "epoch 1/3: 4 batches"
    assert lines[1].startswith("epoch 1/3: 1/4 batches, ") and "/s, ETA " in lines[1]
    assert lines[-1].startswith("epoch 1/3: done in ") and lines[-1].endswith("val ROC AUC 0.9")


def test_a_phase_shorter_than_quiet_for_prints_nothing_a_longer_one_reports():
    stream = io.StringIO()
    reporter = Reporter(stream=stream, every=60.0, quiet_for=0.05)
    with reporter.phase("dedup: signatures", total=10, unit="row") as quick:
        quick.update(10)
        quick.close()
    assert stream.getvalue() == ""  # a short step keeps the console short
    with reporter.phase("dedup: signatures", total=10, unit="row") as slow:
        slow.update(2)
        time.sleep(0.06)
        slow.update(3)  # past quiet_for: one line; the next waits `every`
        slow.update(5)
        slow.close()
    [progress, done] = lines_of(stream)
    assert progress.startswith("dedup: signatures: 5/10 rows, ") and ", ETA " in progress
    assert done.startswith("dedup: signatures: done in ")


def test_never_past_the_total_and_bytes_read_as_sizes():
    stream = io.StringIO()
    reporter = Reporter(stream=stream, every=0.0, quiet_for=0.0)
    with reporter.phase("scoring", total=2_500_000, unit="B") as phase:
        phase.update_to(1_000_000)
        phase.update(9_000_000)  # more than is left: held at the total
        assert phase.done == 2_500_000
    assert lines_of(stream)[0] == "scoring: 2.5 MB"
    assert lines_of(stream)[-1].startswith("scoring: 2.5 MB of 2.5 MB, ")
    assert [amount(n, "B") for n in (999, 1500, 3_400_000)] == ["999 B", "1.5 kB", "3.4 MB"]
    assert amount(1, "step") == "1 step" and amount(3, "batch") == "3 batches"


def test_work_that_cannot_be_counted_says_how_long_it_has_run():
    stream = io.StringIO()
    reporter = Reporter(stream=stream, every=0.02, quiet_for=0.02)
    with reporter.phase("tiny base: tokenizer", total=None) as phase:
        time.sleep(0.1)
        phase.close()
    lines = lines_of(stream)
    assert lines[0].startswith("tiny base: tokenizer: running for ")
    assert lines[-1].startswith("tiny base: tokenizer: done in ")


def test_lines_go_to_the_afs_logger_once_logging_is_set_up_for_afs(capsys):
    seen: list[logging.LogRecord] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = seen.append
    afs = logging.getLogger("afs")
    level, handlers = afs.level, afs.handlers[:]  # whatever a Kedro import set up before
    for old in handlers:
        afs.removeHandler(old)
    try:
        assert Reporter().logger is None  # the CLI: no logging set up, lines go to stderr
        afs.addHandler(handler)  # as conf/logging.yml does in every Kedro session
        afs.setLevel(logging.INFO)
        reporter = Reporter(every=0.0, quiet_for=0.0, bar=False)
        reporter.phase("LoRA epoch 1/1", total=2, unit="step").close("val loss 1.0")
    finally:
        afs.removeHandler(handler)
        afs.setLevel(level)
        for old in handlers:
            afs.addHandler(old)
    assert [(r.name, r.levelno) for r in seen] == [("afs.progress", logging.INFO)] * 2
    assert seen[-1].getMessage().endswith("; val loss 1.0")
    assert capsys.readouterr().err == ""


def test_disabled_prints_nothing_and_durations_read_well():
    stream = io.StringIO()
    reporter = Reporter(enabled=False, stream=stream, every=0.0, quiet_for=0.0)
    with reporter.phase("epoch 1/1", total=2) as phase:
        phase.update(2)
        phase.close("note")
    reporter.line("x")
    assert stream.getvalue() == ""
    assert not as_reporter(False).enabled and as_reporter(True).enabled
    assert as_reporter(reporter) is reporter
    assert [format_duration(s) for s in (5, 75, 3725)] == ["5s", "1m15s", "1h02m05s"]


def test_transformers_bars_only_where_ours_are_bars():
    import transformers.utils.logging as hf_logging

    from afs.progress import library_bars

    assert hf_logging.is_progress_bar_enabled()  # nothing before switched them off for good
    with library_bars(Reporter(stream=io.StringIO())):  # a log: its bars would be \r lines
        assert not hf_logging.is_progress_bar_enabled()
    assert hf_logging.is_progress_bar_enabled()
    with library_bars(Reporter(stream=io.StringIO(), bar=True)):
        assert hf_logging.is_progress_bar_enabled()
