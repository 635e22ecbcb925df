"""The calibrated score: 0.5 where a snippet is as likely real as corrupted."""

from __future__ import annotations

import json
import random

import pytest

from afs.discriminator.calibration import Calibration, fit_calibration


def _margins(seed=0):
    rng = random.Random(seed)
    # real snippets around 6, corrupted around 2, and eight corrupted per real one (as in a
    # validation set with every kind's twin): an uncalibrated 0.5 (margin 0) keeps them all
    real = [rng.gauss(6.0, 1.0) for _ in range(300)]
    corrupted = [rng.gauss(2.0, 1.0) for _ in range(2400)]
    return real, corrupted


def test_calibrated_half_sits_between_the_classes():
    real, corrupted = _margins()
    calibration = fit_calibration(real + corrupted, [1] * len(real) + [0] * len(corrupted))
    assert calibration.a > 0
    assert calibration.probability(4.0) == pytest.approx(0.5, abs=0.06)  # the midpoint
    kept = sum(calibration.probability(m) >= 0.5 for m in real) / len(real)
    caught = sum(calibration.probability(m) < 0.5 for m in corrupted) / len(corrupted)
    assert kept > 0.95 and caught > 0.95  # the plain softmax (margin 0) catches almost none
    assert sum(Calibration().probability(m) < 0.5 for m in corrupted) < 0.05 * len(corrupted)
    order = sorted(real + corrupted)
    assert [calibration.probability(m) for m in order] == \
        sorted(calibration.probability(m) for m in order)  # monotonic: AUC unchanged


def test_one_class_is_the_identity_and_the_map_round_trips():
    assert fit_calibration([1.0, 2.0], [1, 1]) == Calibration(fitted_on="val", n=2)
    calibration = Calibration(1.5, -2.0, fitted_on="val", n=10)
    assert Calibration.from_dict(json.loads(json.dumps(calibration.to_dict()))) == calibration
    assert Calibration.from_dict(None) is None
    assert Calibration(1.0, 0.0).probability(-800.0) == pytest.approx(0.0)  # no overflow


def test_the_model_applies_its_saved_calibration(tiny_model, tmp_path):
    from afs.discriminator.model import ElectraDiscriminator

    output, _ = tiny_model
    facts = json.loads((output / "training.json").read_text())
    assert facts["calibration"]["method"] == "platt" and facts["calibration"]["fitted_on"] == "val"
    model = ElectraDiscriminator.load(output, device="cpu")
    texts = ["LDA #$01\nSTA $10\nRTS", "LDB $1234,Q"]
    margins = model.margins(texts)
    calibration = Calibration.from_dict(facts["calibration"])
    assert model.score_texts(texts) == pytest.approx([calibration.probability(m)
                                                      for m in margins])
    model.calibration = Calibration(2.0, 1.0)
    model.save(tmp_path / "copy")
    again = ElectraDiscriminator.load(tmp_path / "copy", device="cpu")
    assert again.calibration == Calibration(2.0, 1.0)
