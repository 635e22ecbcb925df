"""The quality_scoring HTML report: each figure from a small synthetic run, reject-reason
labels, duplicate cluster sizes, the page (summary numbers, embedded PNGs, written
atomically) and, where Chromium is installed, a headless screenshot that is not blank."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess

import orjson
import pandas as pd
import pytest
from matplotlib.figure import Figure

from afs.reports.quality import (
    MAX_DOMAINS,
    cluster_sizes,
    domain_rows,
    plot_cluster_sizes,
    plot_domain_mix,
    plot_reject_reasons,
    plot_score_histograms,
    plot_scores_by_domain,
    quality_figures,
    quality_report_html,
    reason_label,
    reject_reason_counts,
    score_table,
    write_quality_html,
)

PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def _meta(overall: float, cluster: str | None = None, **components: float) -> str:
    meta = {"quality": {"overall": overall, "components": components,
                        "weights": {k: 1 / len(components) for k in components},
                        "skipped": {"electra": "no discriminator model"}, "asar_errors": []}}
    if cluster:
        meta["dup_cluster"] = cluster
    return orjson.dumps(meta).decode()


@pytest.fixture(scope="module")
def run() -> dict:
    rows = []
    for i in range(40):
        domain = ["asm", "docs", "knowledge"][i % 3]
        score = round(0.3 + (i % 7) / 10, 2)
        components = {"length": score, "entity": 1 - score}
        if domain == "asm":
            components["asar"] = 1.0 if i % 2 else 0.0
        cluster = "s0" if i in (0, 1, 2) else "s5" if i in (5, 6) else None
        rows.append({"sample_id": f"s{i}", "domain": domain, "quality_score": score,
                     "_metadata": _meta(score, cluster, **components)})
    scored = pd.DataFrame(rows)
    filtered = scored[scored["quality_score"] >= 0.6].drop([1, 2, 6], errors="ignore")
    rejects = scored.drop(filtered.index).copy()
    rejects["reject_step"] = "quality_filter"
    rejects["reject_reason"] = [f"low_quality:{s}<0.6" for s in rejects["quality_score"]]
    dup = rejects["sample_id"].isin(["s1", "s2", "s6"])
    rejects.loc[dup, "reject_step"] = "dedup"
    rejects.loc[dup, "reject_reason"] = ["duplicate_of:s0", "near_duplicate_of:s0", "duplicate_of:s5"]
    report = {"input": 40, "kept": len(filtered), "rejected": len(rejects),
              "all_rows_accounted_for": True,
              "rejects": {"total": len(rejects),
                          "step": dict(rejects["reject_step"].value_counts()),
                          "reason": {"low_quality": int((~dup).sum()), "duplicate_of": 2,
                                     "near_duplicate_of": 1}},
              "mean_score": 0.6123, "mean_score_by_domain": {"asm": 0.6, "docs": 0.61, "knowledge": 0.62},
              "kept_by_domain": dict(filtered["domain"].value_counts())}
    return {"scored": scored, "filtered": filtered.reset_index(drop=True),
            "rejects": rejects.reset_index(drop=True), "report": report}


def test_score_table_reads_overall_and_present_components(run):
    table = score_table(run["scored"])
    assert list(table.columns) == ["domain", "overall", "asar", "entity", "length"]
    assert table["asar"].notna().sum() == 14  # asm rows only


def test_figures_have_the_expected_axes(run):
    hist = plot_score_histograms(run["scored"], min_score=0.6)
    titles = [a.get_title() for a in hist.axes if a.axison]
    assert [t.split(" ")[0] for t in titles] == ["overall", "asar", "entity", "length"]
    box = plot_scores_by_domain(run["scored"])
    assert len(box.axes) == 1
    labels = sorted(t.get_text() for t in box.axes[0].get_yticklabels())
    assert labels == ["asm (n=14)", "docs (n=13)", "knowledge (n=13)"]
    mix = plot_domain_mix({"asm": 14, "docs": 13}, {"asm": 5})
    assert [t.get_text() for t in mix.axes[0].get_yticklabels()] == ["docs", "asm"]
    assert len(mix.axes[0].patches) == 4
    clusters = plot_cluster_sizes([3, 2])
    assert [t.get_text() for t in clusters.axes[0].get_xticklabels()] == ["2", "3"]
    reasons = plot_reject_reasons(reject_reason_counts(run["rejects"]))
    assert "low_quality (< 0.6)" in [t.get_text() for t in reasons.axes[0].get_yticklabels()]
    for figure in (plot_cluster_sizes([]), plot_reject_reasons([]),
                   plot_scores_by_domain(run["scored"].iloc[:0])):
        assert isinstance(figure, Figure) and not figure.axes[0].axison


def test_reject_reasons_lose_ids_and_long_details():
    assert reason_label("low_quality:0.42<0.6") == "low_quality (< 0.6)"
    assert reason_label("duplicate_of:abc123") == "duplicate_of"
    assert reason_label("seen_in_reference:abc") == "seen_in_reference"
    assert reason_label("contaminated:abc") == "contaminated"
    assert reason_label("asar_invalid:12:1: bad_label sub label .x has no parent") == \
        "asar_invalid: bad_label"
    long = reason_label("something_else:" + "x" * 200)
    assert len(long) == 48 and long.endswith("…")


def test_cluster_sizes_from_metadata_or_reasons(run):
    assert cluster_sizes([run["filtered"], run["rejects"], run["scored"]]) == [3, 2]
    no_meta = run["rejects"].drop(columns="_metadata")
    assert cluster_sizes([no_meta], no_meta) == [3, 2]


def test_page_holds_summary_numbers_and_embedded_pngs(run, tmp_path):
    page = quality_report_html(run["report"], run["scored"], run["filtered"], run["rejects"], 0.6)
    images = PNG.findall(page)
    assert len(images) == len(quality_figures(run["scored"], run["filtered"], run["rejects"])) == 5
    assert all(base64.b64decode(image).startswith(b"\x89PNG") for image in images)
    text = re.sub(r"<[^>]+>", " ", PNG.sub("", page))
    for number in ("40", str(run["report"]["kept"]), str(run["report"]["rejected"]), "0.612",
                   "quality_filter", "near_duplicate_of"):
        assert number in text
    assert "http://" not in page and "https://" not in page  # no external assets
    path = write_quality_html(tmp_path / "reports" / "q.html", page)
    assert path.read_text() == page and [p.name for p in path.parent.iterdir()] == ["q.html"]


@pytest.mark.skipif(not shutil.which("chromium"), reason="needs chromium (apt-get install -y chromium)")
def test_page_renders_in_headless_chromium(run, tmp_path):
    import numpy as np
    from matplotlib.image import imread

    page = write_quality_html(tmp_path / "q.html", quality_report_html(
        run["report"], run["scored"], run["filtered"], run["rejects"], 0.6))
    shot = tmp_path / "q.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars",
                    "--window-size=1200,2400", f"--screenshot={shot}", page.as_uri()],
                   check=True, capture_output=True, timeout=60)
    pixels = imread(shot)[..., :3]
    assert pixels.shape[:2] == (2400, 1200)
    # the summary at the top and the plots further down both draw something
    for band in (pixels[:600], pixels[800:2400]):
        drawn = (np.abs(band.reshape(-1, 3) - 1.0).sum(axis=1) > 0.1).mean()
        assert drawn > 0.02, f"only {drawn:.2%} of the band is not white"


def test_past_twenty_domains_the_smallest_share_one_other_row_and_every_sample_is_drawn():
    counts = {f"asm.domain_{i:02d}": 100 - i for i in range(25)}
    rows = domain_rows(counts)

    assert len(rows) == MAX_DOMAINS
    assert rows["(other)"] == [f"asm.domain_{i:02d}" for i in range(19, 25)]
    assert domain_rows({"a": 1, "b": 2}) == {"b": ["b"], "a": ["a"]}

    before = dict(counts)
    after = {domain: n // 2 for domain, n in counts.items()}
    figure = plot_domain_mix(before, after)
    bars = figure.axes[0].patches
    assert sum(bar.get_width() for bar in bars) == sum(before.values()) + sum(after.values())
    labels = [tick.get_text() for tick in figure.axes[0].get_yticklabels()]
    assert "(other)" in labels

    scored = pd.DataFrame({"instruction": ["q"] * 25, "output": ["a"] * 25,
                           "domain": list(counts), "quality_score": [0.5] * 25})
    box = plot_scores_by_domain(scored)
    assert len(box.axes[0].get_yticklabels()) == MAX_DOMAINS
    assert any(t.get_text() == "(other) (n=6)" for t in box.axes[0].get_yticklabels())
