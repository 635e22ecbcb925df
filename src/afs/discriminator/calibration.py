"""Calibration of the discriminator's score, fitted on the validation split.

The classifier's raw margin ``z = logit(real) - logit(corrupted)`` orders snippets well but
its scale depends on training (class balance, early stopping). Platt scaling maps it to
``P(real) = sigmoid(a * z + b)``, with ``a`` and ``b`` fitted by logistic regression on the
validation margins, the two classes weighted equally: a calibrated 0.5 is the point where a
snippet is as likely real as corrupted, whatever the mix of kinds in the validation set. The
map is monotonic, so every ROC AUC is unchanged; it is saved in ``training.json`` and applied
by ``ElectraDiscriminator.score_texts``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

METHOD = "platt"


@dataclass(frozen=True)
class Calibration:
    """``P(real) = sigmoid(a * margin + b)``; the identity of softmax is ``a=1, b=0``."""

    a: float = 1.0
    b: float = 0.0
    method: str = METHOD
    fitted_on: str = ""
    n: int = 0

    def probability(self, margin: float) -> float:
        value = self.a * margin + self.b
        if value >= 0:
            return 1.0 / (1.0 + math.exp(-value))
        exp = math.exp(value)
        return exp / (1.0 + exp)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> Calibration | None:
        if not data:
            return None
        return cls(float(data["a"]), float(data["b"]), data.get("method", METHOD),
                   data.get("fitted_on", ""), int(data.get("n", 0)))


def fit_calibration(margins: Sequence[float], labels: Sequence[int],
                    fitted_on: str = "val") -> Calibration:
    """Platt scaling of ``margins`` against ``labels`` (1 real), classes weighted equally.
    With one class only there is nothing to fit: the identity."""
    if len(set(labels)) < 2:
        return Calibration(fitted_on=fitted_on, n=len(labels))
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    values = np.asarray(margins, dtype=float)
    # standardised, so that the solver's tolerance means the same for any margin scale
    centre, scale = float(values.mean()), float(values.std()) or 1.0
    x = ((values - centre) / scale).reshape(-1, 1)
    fit = LogisticRegression(C=1e4, class_weight="balanced").fit(x, np.asarray(labels))
    slope, intercept = float(fit.coef_[0][0]), float(fit.intercept_[0])
    return Calibration(slope / scale, intercept - slope * centre / scale, METHOD, fitted_on,
                       len(labels))
