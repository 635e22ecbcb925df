"""Progress is printed whether or not the output is a terminal."""

from __future__ import annotations

import io

from afs.discriminator.progress import Reporter, format_duration


def test_lines_with_rate_and_eta_when_not_a_terminal():
    stream = io.StringIO()  # isatty() is False, like a pipe or a log file
    reporter = Reporter(stream=stream, every=0.0)
    assert reporter.bar is False
    phase = reporter.phase("epoch 1/3", total=4)
    for _ in range(4):
        phase.update(1)
    phase.close("val ROC AUC 0.9")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "epoch 1/3: 4 batches"
    assert any("batches/s" in line and "ETA" in line for line in lines[1:-1])
    assert lines[-1].startswith("epoch 1/3: done in ") and lines[-1].endswith("val ROC AUC 0.9")


def test_disabled_prints_nothing_and_durations_read_well():
    stream = io.StringIO()
    reporter = Reporter(enabled=False, stream=stream, every=0.0)
    with reporter.phase("epoch 1/1", total=2) as phase:
        phase.update(2)
        phase.close()
    reporter.line("x")
    assert stream.getvalue() == ""
    assert [format_duration(s) for s in (5, 75, 3725)] == ["5s", "1m15s", "1h02m05s"]


def test_training_reports_preparation_and_epochs(tmp_path, corpus_files):
    from afs.discriminator.train import train_discriminator

    stream = io.StringIO()
    train_discriminator(corpus_files[:2], tmp_path / "m", seed=2, epochs=1, layers=1,
                        hidden=16, windows=(8,), stride=8, batch_size=16, max_length=64,
                        log_to_mlflow=False, device="cpu", progress=Reporter(stream=stream))
    text = stream.getvalue()
    assert "preparing: done in" in text and "epoch 1/1: done in" in text
    assert "ETA at most" in text and "test split: ROC AUC" in text and "written:" in text
