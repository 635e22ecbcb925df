"""The discriminator's training reports its progress (afs.progress) whether or not the output
is a terminal."""

from __future__ import annotations

import io

from afs.progress import Reporter


def test_training_reports_preparation_and_epochs(tmp_path, corpus_files):
    from afs.discriminator.train import train_discriminator

    stream = io.StringIO()
    train_discriminator(corpus_files[:2], tmp_path / "m", seed=2, epochs=1, layers=1,
                        hidden=16, windows=(8,), stride=8, batch_size=16, max_length=64,
                        log_to_mlflow=False, device="cpu", progress=Reporter(stream=stream))
    text = stream.getvalue()
    assert "preparing: done in" in text and "epoch 1/1: done in" in text
    assert "ETA at most" in text and "test split: ROC AUC" in text and "written:" in text


def test_the_old_import_path_still_works():
    from afs.discriminator import progress

    assert progress.Reporter is Reporter
