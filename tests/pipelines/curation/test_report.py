"""The curation report's domain-mix plot (data/08_reporting/domain_mix.png, also in
notebooks/curation.ipynb): every domain's name readable, for the shipped data's domains and
for fifteen long ones."""

from __future__ import annotations

import pytest

from afs.pipelines.curation.report import plot_domain_mix
from tests.reports.plot_checks import LONG_DOMAINS, assert_tick_labels_readable

# rows per domain before and after curation on the shipped data (a full `kedro run`)
SHIPPED_BEFORE = {"knowledge": 680, "asm.symbols": 327, "docs": 196, "history": 94, "asm": 89,
                  "oracle": 75, "memory": 69, "asm.write": 50, "asm.explain": 47,
                  "asm.struct": 27, "asm.macro": 16}
SHIPPED_AFTER = {"asm.symbols": 327, "knowledge": 261, "docs": 185, "history": 89, "asm": 83,
                 "oracle": 70, "memory": 61, "asm.write": 50, "asm.explain": 47,
                 "asm.struct": 27, "asm.macro": 16}


@pytest.mark.parametrize(("before", "after"), [
    (SHIPPED_BEFORE, SHIPPED_AFTER),
    ({name: 40 * i + 7 for i, name in enumerate(LONG_DOMAINS)},
     {name: 25 * i + 3 for i, name in enumerate(LONG_DOMAINS) if i % 4}),
], ids=["shipped", "fifteen_long_names"])
def test_every_domain_name_is_readable(before, after):
    figure = plot_domain_mix(before, after)
    assert_tick_labels_readable(figure, list(before))
    axes = figure.axes[0]
    assert len(axes.patches) == 2 * len(before)  # a before and an after bar per domain
    # the largest domain before curation on top
    top = max(axes.get_yticklabels(), key=lambda label: label.get_position()[1])
    assert top.get_text().replace("\n", "") == max(before, key=before.get)
